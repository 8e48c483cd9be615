"""The campaign board in headless Chromium, on a 390-px phone and on a desktop.

HOTLINE_SCREENSHOTS=1 writes the pages to var/screenshots/ (copied to docs/screenshots/)."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from web.tests.conftest import browser  # noqa: F401  (the shared Chromium fixture)
from web.tests.test_accessibility import HELPERS, audit
from web.tests.test_browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _shot(page, name: str) -> None:
    if os.environ.get("HOTLINE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _no_horizontal_scroll(page) -> bool:
    # The table may scroll inside its wrapper; the page itself must not.
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_unit_walks_its_campaign_row_to_an_order_on_a_phone(browser, live_server, district, orders, campaign):  # noqa: F811
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
    context.add_init_script(HELPERS)  # what audit() evaluates
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, "handler_b")
    page.get_by_role("link", name="专项行动").first.click()
    page.get_by_role("link", name="背街小巷清零行动").click()
    board = page.locator("table.campaign-board")
    assert board.locator("th[scope=row]").all_inner_texts() == ["乙街道", "合计"]
    assert _no_horizontal_scroll(page)
    assert audit(page, "campaign board (phone)") == []
    _shot(page, "campaign-board-phone")
    board.locator("tr", has_text="乙街道").locator("a[data-part=overdue]").click()
    page.wait_for_load_state()
    assert "共 1 件" in page.content()
    assert audit(page, "campaign orders (phone)") == []
    _shot(page, "campaign-orders-phone")
    page.get_by_role("link", name=orders["b_late"].number).click()
    page.wait_for_load_state()
    assert orders["b_late"].number in page.content()
    context.close()


def test_center_sees_every_row_on_a_desktop(browser, live_server, district, orders, campaign):  # noqa: F811
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.add_init_script(HELPERS)
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    rows = page.locator("table.campaign-board th[scope=row]").all_inner_texts()
    assert rows == ["甲街道", "乙街道", "合计"]
    total = page.locator("table.campaign-board tr.total")
    assert total.locator("a[data-part=scope]").inner_text() == "3"
    assert audit(page, "campaign board") == []
    _shot(page, "campaign-board-desktop")
    page.get_by_role("link", name="专项行动").first.click()
    assert audit(page, "campaign list") == []
    context.close()
