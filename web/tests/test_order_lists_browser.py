"""The paged order list and a large ledger export in headless Chromium: a supervisor
pages through the orders behind a figure with the next/previous links, asks for a
ledger too large for the request and downloads it from the page that refreshes itself
until the worker has written it; each page passes the accessibility checks."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from web import exports, order_list
from web.tests.conftest import browser  # noqa: F401  (the shared Chromium fixture)
from web.tests.test_accessibility import HELPERS, audit
from web.tests.test_browser import login
from workorders import outbox
from workorders.services import work_order_assign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}


def test_a_supervisor_pages_through_a_figures_orders_and_downloads_a_large_ledger(
    browser,  # noqa: F811
    live_server,
    district,
    log_call,
    monkeypatch,
):
    dispatcher = district.user("dispatcher")
    numbers = {
        work_order_assign(order=log_call(), actor=dispatcher, unit=district.street_a).number
        for _ in range(order_list.PAGE_SIZE + 3)
    }
    monkeypatch.setattr(exports, "INLINE_ROWS", 10)
    monkeypatch.setattr(exports, "follow_ups_nudge", lambda *, tasks: None)  # the test is the worker
    monkeypatch.setattr(outbox, "follow_ups_nudge", lambda *, tasks: None)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    context.add_init_script(HELPERS)
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/orders/?figure=volume")
    shown = set(page.locator("table.orders tbody td:nth-child(2) a").all_inner_texts())
    assert len(shown) == order_list.PAGE_SIZE
    assert f"共 {len(numbers)} 件" in page.content()
    assert audit(page, "orders, first page") == []
    page.get_by_role("link", name="下一页").click()
    page.wait_for_load_state()
    rest = set(page.locator("table.orders tbody td:nth-child(2) a").all_inner_texts())
    assert shown | rest == numbers and not shown & rest
    assert audit(page, "orders, second page") == []
    page.get_by_role("link", name="上一页").click()
    page.wait_for_load_state()
    assert set(page.locator("table.orders tbody td:nth-child(2) a").all_inner_texts()) == shown

    page.get_by_role("button", name="导出 Excel（已脱敏）").click()
    page.wait_for_load_state()
    assert "正在后台生成" in page.content()
    assert audit(page, "ledger export, waiting") == []
    assert exports.ledger_exports_drain() == 1
    # The page refreshes itself; the download link appears once the file is written.
    link = page.get_by_role("link", name="下载 Excel（已脱敏）")
    link.wait_for(timeout=10_000)
    assert audit(page, "ledger export, ready") == []
    with page.expect_download() as download:
        link.click()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert {row[0] for row in sheet.iter_rows(min_row=4, values_only=True)} == numbers
    context.close()
