"""The Excel ledger reads like a report: title rows, widths, a frozen header with a
filter, the request and result text, overdue and resolved columns, masked as before."""

import io
from datetime import timedelta

from django.utils import timezone
from openpyxl import load_workbook

from web.ledger import HEADER_ROW, HEADERS
from web.tests.conftest import export_url
from workorders.choices import DeadlineState
from workorders.models import Deadline
from workorders.services import (
    work_order_approve,
    work_order_assign,
    work_order_callback,
    work_order_reply,
    work_order_sign,
)


def _sheet(response):
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content)).active


def _rows(sheet) -> list[dict]:
    header = [str(h) for h in HEADERS]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]


def test_the_ledger_has_a_title_row_frozen_header_filter_and_widths(login, district, log_call):
    log_call()
    log_call()
    params = {"figure": "volume", "start": "2026-01-01", "end": timezone.localdate().isoformat()}
    sheet = _sheet(login("supervisor").post(export_url(params)))
    assert sheet["A1"].value.startswith("工单台账 · 受理量") and sheet["A1"].font.b
    facts = " ".join(str(c.value) for c in sheet[2] if c.value)
    assert "范围：" in facts and "时段：2026-01-01 — " in facts
    assert "导出人：" + (district.user("supervisor").get_full_name() or "supervisor") in facts and "导出时间：" in facts
    assert sheet.freeze_panes == f"B{HEADER_ROW + 1}"
    assert sheet.auto_filter.ref == f"A{HEADER_ROW}:U{HEADER_ROW + 2}"
    assert [c.value for c in sheet[HEADER_ROW]][:3] == ["工单号", "来源", "受理时间"]
    # Dates are wide enough to show whole (no ####) and are real dates, formatted.
    assert sheet.column_dimensions["C"].width >= 16
    assert sheet["C4"].is_date and sheet["C4"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet.column_dimensions["G"].width >= 40 and sheet["G4"].alignment.wrap_text
    # Every cell top-aligned (rows grow with wrapped text); only dates carry a date format.
    assert sheet["A4"].alignment.vertical == "top" and not sheet["A4"].alignment.wrap_text
    assert sheet["A4"].number_format == "General" and sheet["G4"].alignment.vertical == "top"
    assert sheet["R4"].value is None and sheet["R4"].number_format == "General"  # not closed yet


def test_the_scope_row_names_the_chosen_unit(login, district, log_call):
    log_call()
    sheet = _sheet(login("supervisor").post(export_url({"unit": district.street_a.pk})))
    assert f"范围：{district.street_a.name}" in " ".join(str(c.value) for c in sheet[2] if c.value)


def test_request_result_overdue_and_resolved_columns_masked_as_before(login, district, log_call):
    text = "我叫张三，电话13812345678，楼下占道摆摊。"
    order = work_order_assign(
        order=log_call(description=text), actor=district.user("dispatcher"), unit=district.street_a
    )
    order = work_order_sign(order=order, actor=district.user("handler_a"))
    order = work_order_reply(order=order, actor=district.user("handler_a"), reply="已联系张三（13812345678）处理完毕。")
    order = work_order_approve(order=order, actor=district.user("dispatcher"))
    work_order_callback(
        order=order, actor=district.user("operator"), contacted=True, resolution="solved", satisfaction="satisfied"
    )
    late = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    Deadline.objects.filter(order=late, state=DeadlineState.OPEN).update(
        due_at=timezone.now() - timedelta(hours=1), warn_at=timezone.now() - timedelta(hours=2)
    )
    rows = {r["工单号"]: r for r in _rows(_sheet(login("supervisor").post(export_url())))}
    done, overdue = rows[order.number], rows[late.number]
    assert "占道摆摊" in done["诉求内容"] and "13812345678" not in done["诉求内容"] and "张三" not in done["诉求内容"]
    assert "处理完毕" in done["办理结果"] and "13812345678" not in done["办理结果"]
    assert (done["超时"], done["是否解决"], done["满意度"]) == ("否", "已解决", "满意")
    assert (overdue["超时"], overdue["是否解决"], overdue["办理结果"]) == ("是", None, None)


def test_every_cell_holds_its_ledger_row_value_as_text_date_or_empty(login, district, log_call):
    """The file holds exactly what ledger_rows() yields (the masked values), cell for
    cell: text as text (formula-like text guarded), dates as dates, empty as empty."""
    from web.ledger import cell_text, ledger_rows
    from workorders.models import WorkOrder

    done = work_order_assign(
        order=log_call(title="=1+2 占道"), actor=district.user("dispatcher"), unit=district.street_a
    )
    done = work_order_sign(order=done, actor=district.user("handler_a"))
    done = work_order_reply(order=done, actor=district.user("handler_a"), reply="已处理，联系13812345678。")
    work_order_callback(
        order=work_order_approve(order=done, actor=district.user("dispatcher")),
        actor=district.user("operator"),
        contacted=True,
        resolution="solved",
        satisfaction="satisfied",
    )
    log_call(caller_name="王五", caller_confidential=True, address="3号楼2单元501")
    sheet = _sheet(login("supervisor").post(export_url()))
    got = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    expected = list(ledger_rows(WorkOrder.objects.order_by("created_at")))
    assert len(got) == len(expected) == 2
    for row, want in zip(got, expected, strict=True):
        for cell, value in zip(row, want, strict=True):
            if value is None or value == "":
                assert cell is None
            elif hasattr(value, "year"):
                assert abs(cell - value) < timedelta(seconds=1)
            else:
                assert cell == cell_text(value)


def test_a_ledger_answered_in_the_request_touches_no_disk(login, district, log_call, monkeypatch):
    """A small ledger is written in memory: XlsxWriter's temporary files (one per part of
    the package, or per sheet in constant-memory mode) were most of an inline export's
    wall time. The worker's large exports still go through them (constant memory)."""
    import tempfile

    from web.ledger import ledger_workbook
    from workorders.models import WorkOrder

    made = []
    for name in ("mkstemp", "TemporaryFile", "NamedTemporaryFile"):
        original = getattr(tempfile, name)
        monkeypatch.setattr(tempfile, name, lambda *a, _o=original, _n=name, **k: made.append(_n) or _o(*a, **k))
    log_call()
    log_call()
    rows = _rows(_sheet(login("supervisor").post(export_url({"figure": "volume"}))))
    assert len(rows) == 2 and made == []
    ledger_workbook(WorkOrder.objects.all())  # constant memory: rows go to a temporary file
    assert made
