"""Strings that leave the pages — the Excel ledger, the printed poster, admin alerts from
the deadline scan — follow the language like the pages do (Chinese by default, English
when asked)."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from web.ledger import HEADER_ROW, HEADERS, ledger_workbook
from web.poster import poster_lines
from web.tests.conftest import export_url
from workorders.models import WorkOrder

LEDGER_EN = [
    "Work order no.",
    "Channel",
    "Received at",
    "Caller",
    "Contact phone",
    "Title",
    "Request details",
    "Address",
    "Category",
    "Urgency",
    "Status",
    "Street office",
    "Community",
    "Grid",
    "Lead unit",
    "Replied at",
    "Result",
    "Closed at",
    "Overdue",
    "Solved?",
    "Satisfaction",
]


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    # Accept-Language: en activates English for the thread; put the default back.
    yield
    translation.deactivate()


def _header(content: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(content)).active
    return list(next(sheet.iter_rows(min_row=HEADER_ROW, values_only=True)))


def test_ledger_headers_are_english_when_the_language_is_en(district, log_call):
    log_call()
    with translation.override("en"):
        assert _header(ledger_workbook(WorkOrder.objects.all())) == LEDGER_EN


def test_ledger_headers_are_chinese_by_default(district, log_call):
    log_call()
    header = _header(ledger_workbook(WorkOrder.objects.all()))
    assert header[:3] == ["工单号", "来源", "受理时间"] and len(header) == len(HEADERS)


def test_ledger_download_follows_the_browsers_language(login, district, log_call):
    log_call()
    response = login("supervisor").post(export_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and _header(response.content) == LEDGER_EN


def test_ledger_satisfaction_is_a_label_not_a_code(district, log_call):
    from workorders.services import (
        work_order_approve,
        work_order_assign,
        work_order_callback,
        work_order_reply,
        work_order_sign,
    )

    order = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    order = work_order_sign(order=order, actor=district.user("handler_a"))
    order = work_order_reply(order=order, actor=district.user("handler_a"), reply="已处理。")
    order = work_order_approve(order=order, actor=district.user("dispatcher"))
    work_order_callback(
        order=order, actor=district.user("operator"), contacted=True, resolution="solved", satisfaction="basic"
    )
    rows = list(
        load_workbook(io.BytesIO(ledger_workbook(WorkOrder.objects.all()))).active.iter_rows(
            min_row=HEADER_ROW + 1, values_only=True
        )
    )
    assert rows[0][-3:] == ("否", "已解决", "基本满意")
    with translation.override("en"):
        rows = list(
            load_workbook(io.BytesIO(ledger_workbook(WorkOrder.objects.all()))).active.iter_rows(
                min_row=HEADER_ROW + 1, values_only=True
            )
        )
    assert rows[0][-3:] == ("No", "Resolved", "Basically satisfied")


def test_poster_text_in_english(district):
    with translation.override("en"):
        lines = poster_lines(district.community_a)
    assert lines[0] == "12345 Citizen Hotline · One code per community"
    assert lines[2:] == ["Scan to report a problem, no sign-up needed", "Or call 12345"]
    assert poster_lines(district.community_a)[0] == "12345 接诉即办 · 一号一码"


def test_a_failed_deadline_row_is_alerted_in_the_active_language(district, assigned, monkeypatch):
    from dispatch import scan
    from dispatch.models import SystemAlert

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(scan, "_message", boom)
    with translation.override("en"):
        result = scan.deadline_scan(now=timezone.now() + timedelta(minutes=40))
    assert result.failed == 1
    alert = SystemAlert.objects.get(key__startswith="deadline-scan-")
    assert alert.message.startswith("Deadline ") and "failed (" in alert.message and "boom" in alert.message


def test_web_catalogue_is_complete_and_compiled():
    """web/locale is hand-edited too; hold it to the same rules as locale/ (no empty,
    fuzzy or Chinese msgstr, same placeholders, django.mo recompiled)."""
    import gettext
    from pathlib import Path

    from django.conf import settings

    from hotline.tests.test_i18n import CJK, PLACEHOLDER, read_po

    folder = Path(settings.BASE_DIR) / "web" / "locale" / "en" / "LC_MESSAGES"
    entries = [e for e in read_po(folder / "django.po") if e["msgid"]]
    for e in entries:  # a plural entry is checked through its first form
        e.setdefault("msgstr", e.get("msgstr[0]", ""))
    assert not [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    chinese = [e for e in entries if CJK.search(e["msgid"])]
    assert not [e["msgid"] for e in chinese if not e["msgstr"].strip() or CJK.search(e["msgstr"])]
    assert not [
        e["msgid"]
        for e in chinese
        if sorted(PLACEHOLDER.findall(e["msgid"])) != sorted(PLACEHOLDER.findall(e["msgstr"]))
    ]
    with (folder / "django.mo").open("rb") as f:
        mo = gettext.GNUTranslations(f)
    singular = [e for e in entries if "msgid_plural" not in e]
    # Keyed by context too: one Chinese word can be two entries ("回访" and, in the
    # context "rate counts", "callbacks").
    compiled = {
        (e.get("msgctxt"), e["msgid"]): mo.pgettext(e["msgctxt"], e["msgid"])
        if "msgctxt" in e
        else mo.gettext(e["msgid"])
        for e in singular
    }
    assert not [e["msgid"] for e in singular if compiled[(e.get("msgctxt"), e["msgid"])] != e["msgstr"]]
