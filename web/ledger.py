"""台账 export: a filtered list of orders as an Excel workbook, personal data masked.

Whoever downloads it, names and numbers are masked (a file leaves the system and its
audit trail), and confidential callers are left out entirely."""

from __future__ import annotations

import io

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from workorders.choices import Channel, Status, Urgency
from workorders.models import WorkOrder
from workorders.privacy import mask_name, mask_phone

MAX_ROWS = 100_000


def _local(dt):
    return timezone.localtime(dt).replace(tzinfo=None) if dt else None


def ledger_rows(qs: QuerySet[WorkOrder]):
    fields = (
        "number",
        "channel",
        "created_at",
        "caller_name",
        "caller_phone",
        "caller_confidential",
        "title",
        "address",
        "category__name",
        "urgency",
        "status",
        "street__name",
        "community__name",
        "grid__name",
        "lead_unit__name",
        "replied_at",
        "closed_at",
        "callback_satisfaction",
    )
    for r in qs.values(*fields)[:MAX_ROWS].iterator(chunk_size=2000):
        hidden = r["caller_confidential"]
        yield [
            r["number"],
            str(Channel(r["channel"]).label),
            _local(r["created_at"]),
            _("（保密）") if hidden else mask_name(r["caller_name"]),
            _("（保密）") if hidden else mask_phone(r["caller_phone"]),
            r["title"],
            r["address"],
            r["category__name"] or "",
            str(Urgency(r["urgency"]).label),
            str(Status(r["status"]).label),
            r["street__name"] or "",
            r["community__name"] or "",
            r["grid__name"] or "",
            r["lead_unit__name"] or "",
            _local(r["replied_at"]),
            _local(r["closed_at"]),
            r["callback_satisfaction"] or "",
        ]


HEADERS = [
    "工单号",
    "来源",
    "受理时间",
    "来电人",
    "联系电话",
    "标题",
    "地址",
    "分类",
    "紧急程度",
    "状态",
    "街道",
    "社区",
    "网格",
    "主办单位",
    "答复时间",
    "办结时间",
    "满意度",
]


def ledger_workbook(qs: QuerySet[WorkOrder], title: str = "") -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_("台账"))
    ws.append([_(h) for h in HEADERS])
    for row in ledger_rows(qs):
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def ledger_response(qs: QuerySet[WorkOrder], *, filename: str, title: str = "") -> HttpResponse:
    response = HttpResponse(
        ledger_workbook(qs, title),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
