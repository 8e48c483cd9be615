"""台账 export: a filtered list of orders as an Excel workbook, personal data masked.

Whoever downloads it, names and numbers are masked (a file leaves the system and its
audit trail), confidential callers are left out entirely, and the free text (title,
request, address, result) goes through workorders.privacy's redaction for every caller.
The sheet reads like a report: a title row (范围, 时段, 导出人, 导出时间), a frozen header
with a filter on every column, widths that show dates whole."""

from __future__ import annotations

import io
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workorders.choices import Channel, DeadlineState, Resolution, Satisfaction, Status, Urgency
from workorders.models import Deadline, WorkOrder
from workorders.privacy import mask_name, mask_phone, redact_public_text

MAX_ROWS = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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


def _yes_no(value: bool) -> str:
    return _("是") if value else _("否")


def _overdue(now):
    """An order is 超时 when any stage of it went past its limit: a row the scan marked
    breached, or one still open past due (the dashboard's overdue figure counts the
    latter; the ledger records the order's whole history)."""
    return Exists(
        Deadline.objects.filter(order=OuterRef("pk")).filter(
            Q(state=DeadlineState.BREACHED) | Q(state=DeadlineState.OPEN, due_at__lt=now)
        )
    )


def ledger_rows(qs: QuerySet[WorkOrder], *, now=None):
    fields = (
        "number",
        "channel",
        "created_at",
        "caller_name",
        "caller_phone",
        "caller_confidential",
        "title",
        "description",
        "address",
        "category__name",
        "urgency",
        "status",
        "street__name",
        "community__name",
        "grid__name",
        "lead_unit__name",
        "replied_at",
        "reply",
        "closed_at",
        "was_overdue",
        "callback_resolution",
        "callback_satisfaction",
    )
    qs = qs.annotate(was_overdue=_overdue(now or timezone.now()))
    # Each label translated once per export, not once per row (2,700 rows × six labels
    # were 16,000 gettext calls).
    channels = {k: str(v) for k, v in Channel.choices}
    urgencies = {k: str(v) for k, v in Urgency.choices}
    statuses = {k: str(v) for k, v in Status.choices}
    resolutions = {k: str(v) for k, v in Resolution.choices}
    satisfactions = {k: str(v) for k, v in Satisfaction.choices}
    yes_no = {True: _yes_no(True), False: _yes_no(False)}
    secret = _("（保密）")
    for r in qs.values(*fields)[:MAX_ROWS].iterator(chunk_size=2000):
        hidden = r["caller_confidential"]

        def text(value, name=r["caller_name"], hidden=hidden):
            # The file leaves the system: free text is redacted for everyone (privacy.py).
            return redact_public_text(value, caller_name=name, confidential=hidden)

        yield [
            r["number"],
            channels[r["channel"]],
            _local(r["created_at"]),
            secret if hidden else mask_name(r["caller_name"]),
            secret if hidden else mask_phone(r["caller_phone"]),
            text(r["title"]),
            text(r["description"]),
            text(r["address"]),
            r["category__name"] or "",
            urgencies[r["urgency"]],
            statuses[r["status"]],
            r["street__name"] or "",
            r["community__name"] or "",
            r["grid__name"] or "",
            r["lead_unit__name"] or "",
            _local(r["replied_at"]),
            text(r["reply"]),
            _local(r["closed_at"]),
            yes_no[bool(r["was_overdue"])],
            resolutions[r["callback_resolution"]] if r["callback_resolution"] else "",
            satisfactions[r["callback_satisfaction"]] if r["callback_satisfaction"] else "",
        ]


# Column headers in the language of whoever downloads the file, each with its width in
# characters (Excel's unit): dates need 17 or they show as ####; text columns are wide
# and wrap.
COLUMNS = [
    (gettext_lazy("工单号"), 16),
    (gettext_lazy("来源"), 9),
    (gettext_lazy("受理时间"), 17),
    (gettext_lazy("来电人"), 9),
    (gettext_lazy("联系电话"), 14),
    (gettext_lazy("标题"), 24),
    (gettext_lazy("诉求内容"), 48),
    (gettext_lazy("地址"), 24),
    (gettext_lazy("分类"), 14),
    (gettext_lazy("紧急程度"), 9),
    (gettext_lazy("状态"), 9),
    (gettext_lazy("街道"), 12),
    (gettext_lazy("社区"), 12),
    (gettext_lazy("网格"), 12),
    (gettext_lazy("主办单位"), 14),
    (gettext_lazy("答复时间"), 17),
    (gettext_lazy("办理结果"), 48),
    (gettext_lazy("办结时间"), 17),
    (gettext_lazy("超时"), 7),
    (gettext_lazy("是否解决"), 10),
    (gettext_lazy("满意度"), 10),
]
HEADERS = [label for label, _width in COLUMNS]
DATE_COLUMNS = {2, 15, 17}
WRAP_COLUMNS = {5, 6, 7, 16}
HEADER_ROW = 3  # title, export facts, then the header; data from row 4


@dataclass(frozen=True)
class LedgerTitle:
    """What the title rows say: which figure and unit (范围), the period (时段), who
    exported it (导出人) and when (导出时间)."""

    figure: str = ""
    scope: str = ""
    start: date | None = None
    end: date | None = None
    exported_by: str = ""
    exported_at: datetime | None = None


def _title_rows(ws, title: LedgerTitle) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    heading = WriteOnlyCell(ws, value=cell_text(_("工单台账") + (f" · {title.figure}" if title.figure else "")))
    heading.font = Font(bold=True, size=14)
    ws.append([heading])
    period = f"{title.start:%Y-%m-%d} — {title.end:%Y-%m-%d}" if title.start and title.end else _("全部")
    exported_at = _local(title.exported_at or timezone.now())
    facts = [
        (_("范围"), title.scope or _("全区")),
        (_("时段"), period),
        (_("导出人"), title.exported_by),
        (_("导出时间"), f"{exported_at:%Y-%m-%d %H:%M}"),
    ]
    row = []
    for label, value in facts:
        cell = WriteOnlyCell(ws, value=cell_text(f"{label}：{value}"))
        cell.font = Font(color="52606D")
        row += [cell, None, None]  # each fact spans three columns' room (no merges in write-only mode)
    ws.append(row)


def ledger_workbook(qs: QuerySet[WorkOrder], title: LedgerTitle | None = None) -> bytes:
    return ledger_file(qs, title)[0]


def ledger_file(qs: QuerySet[WorkOrder], title: LedgerTitle | None = None) -> tuple[bytes, int]:
    """The ledger of ``qs`` as an .xlsx file, and how many orders it holds."""
    # openpyxl is ~30 MB: loaded by the process that exports, when it does (issue 14).
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    title = title or LedgerTitle()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_("台账"))
    for index, (_label, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    # Scrolling keeps the header (and the order number) in view.
    ws.freeze_panes = f"B{HEADER_ROW + 1}"
    _title_rows(ws, title)
    header = []
    for label in HEADERS:
        cell = WriteOnlyCell(ws, value=str(label))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8F0FC")
        cell.border = Border(bottom=Side(style="thin", color="9AA5B1"))
        header.append(cell)
    ws.append(header)
    # Each column's style is registered with the workbook once; every cell then takes a
    # copy of it. Assigning a style object per cell made openpyxl hash and look it up
    # ~57,000 times for 2,700 rows: most of the export's time (issue 14).
    styles = []
    for index in range(len(COLUMNS)):
        proto = WriteOnlyCell(ws)
        proto.alignment = (
            Alignment(wrap_text=True, vertical="top") if index in WRAP_COLUMNS else Alignment(vertical="top")
        )
        plain = copy(proto._style)
        if index in DATE_COLUMNS:
            proto.number_format = "yyyy-mm-dd hh:mm"
        styles.append((plain, proto._style))
    count = 0
    for row in ledger_rows(qs):
        cells = []
        for value, (plain, dated) in zip(row, styles, strict=True):
            cell = WriteOnlyCell(ws, value=cell_text(value))
            cell._style = copy(dated if value is not None else plain)  # a date column's format only on a date
            cells.append(cell)
        ws.append(cells)
        count += 1
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(COLUMNS))}{HEADER_ROW + max(count, 1)}"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), count


def ledger_response(qs: QuerySet[WorkOrder], *, filename: str, title: LedgerTitle | None = None) -> HttpResponse:
    response = HttpResponse(
        ledger_workbook(qs, title),
        content_type=XLSX,
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
