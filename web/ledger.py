"""台账 export: a filtered list of orders as an Excel workbook, personal data masked.

Whoever downloads it, names and numbers are masked (a file leaves the system and its
audit trail), confidential callers are left out entirely, and the free text (title,
address) goes through workorders.privacy's redaction for every caller."""

from __future__ import annotations

import io

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workorders.choices import Channel, Satisfaction, Status, Urgency
from workorders.models import WorkOrder
from workorders.privacy import mask_name, mask_phone, redact_public_text

MAX_ROWS = 100_000

# OWASP "CSV injection": a cell starting with one of these is a formula (or becomes one
# when the sheet is saved as CSV and reopened), e.g. a resident's title
# "=HYPERLINK(...)" turning into a live link in a supervisor's Excel. A leading
# apostrophe makes it text everywhere; openpyxl also stops treating it as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value):
    """``value`` as a cell that can never be evaluated (every exported cell passes here)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


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
            redact_public_text(r["title"], caller_name=r["caller_name"], confidential=hidden),
            redact_public_text(r["address"], caller_name=r["caller_name"], confidential=hidden),
            r["category__name"] or "",
            str(Urgency(r["urgency"]).label),
            str(Status(r["status"]).label),
            r["street__name"] or "",
            r["community__name"] or "",
            r["grid__name"] or "",
            r["lead_unit__name"] or "",
            _local(r["replied_at"]),
            _local(r["closed_at"]),
            str(Satisfaction(r["callback_satisfaction"]).label) if r["callback_satisfaction"] else "",
        ]


# Column headers in the language of whoever downloads the file.
HEADERS = [
    gettext_lazy("工单号"),
    gettext_lazy("来源"),
    gettext_lazy("受理时间"),
    gettext_lazy("来电人"),
    gettext_lazy("联系电话"),
    gettext_lazy("标题"),
    gettext_lazy("地址"),
    gettext_lazy("分类"),
    gettext_lazy("紧急程度"),
    gettext_lazy("状态"),
    gettext_lazy("街道"),
    gettext_lazy("社区"),
    gettext_lazy("网格"),
    gettext_lazy("主办单位"),
    gettext_lazy("答复时间"),
    gettext_lazy("办结时间"),
    gettext_lazy("满意度"),
]


def ledger_workbook(qs: QuerySet[WorkOrder], title: str = "") -> bytes:
    from openpyxl import Workbook  # ~30 MB: loaded by the process that exports, when it does (issue 14)

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_("台账"))
    ws.append([str(h) for h in HEADERS])
    for row in ledger_rows(qs):
        ws.append([cell_text(value) for value in row])
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
