"""未诉先办 on a grid worker's phone (390 px), in headless Chromium: the list of visits
due, a visit recorded, a proactive order raised from it (care app).
HOTLINE_SCREENSHOTS=1 writes the pages to var/screenshots/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from web.tests.test_browser import PHONE, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def _shot(page, name):
    shot(page, name)  # leaves the desktop width behind; the walk goes on at the phone's
    page.set_viewport_size(PHONE)


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_grid_worker_records_a_visit_and_raises_a_proactive_order_on_a_phone(phone, live_server, district):
    from care.models import KeyResident, Kind, Visit
    from care.services import resident_add
    from workorders.choices import Channel
    from workorders.models import WorkOrder

    r = resident_add(
        actor=district.user("supervisor"),
        grid=district.grid_a,
        kind=Kind.ALONE_ELDERLY,
        name="王秀英",
        phone="13911112222",
        address="幸福里小区3号楼2单元501室",
        notes="独居，患糖尿病。",
    )
    KeyResident.objects.filter(pk=r.pk).update(next_due=timezone.localdate() - timedelta(days=3))

    login(phone, live_server, "grid_worker_a")
    phone.goto(live_server.url + "/care/")
    row = phone.locator(f"li[data-resident='{r.pk}']")
    assert "逾期 3 天" in row.inner_text()
    _no_sideways_scroll(phone)
    _shot(phone, "care-visits")

    row.get_by_role("link", name="王秀英").click()
    phone.wait_for_load_state()
    assert "13911112222" in phone.locator("#resident-phone").inner_text()
    phone.get_by_role("button", name="保存走访记录").click()  # nothing chosen: refused, page kept
    assert phone.locator(".error").first.is_visible()
    phone.get_by_label("入户见面").check()
    phone.get_by_label("走访情况").fill("血糖平稳；家中暖气不热，老人怕冷。")
    _no_sideways_scroll(phone)
    _shot(phone, "care-resident")
    phone.get_by_role("button", name="保存走访记录").click()
    phone.wait_for_load_state()
    assert "走访已记录" in phone.locator(".messages").inner_text()
    expected = timezone.localdate() + timedelta(days=7)
    assert expected.isoformat() in phone.locator("#next-due").inner_text()
    assert Visit.objects.get().notes == "血糖平稳；家中暖气不热，老人怕冷。"

    phone.get_by_role("link", name="据此生成未诉先办工单").click()
    phone.wait_for_load_state()
    phone.get_by_label("需要办理的事项").fill("王阿姨家暖气不热，请供热单位上门检修。")
    _no_sideways_scroll(phone)
    _shot(phone, "care-order")
    phone.get_by_role("button", name="生成工单").click()
    phone.wait_for_load_state()
    order = WorkOrder.objects.get()
    assert order.channel == Channel.PROACTIVE
    assert order.number in phone.locator(".messages").inner_text()
    assert phone.locator("#visits").get_by_role("link", name=order.number).is_visible()

    # The center's view: every grid's overdue count; the community's: the same, masked.
    for key, name in (("supervisor", "王秀英"), ("handler_community_a", "王**")):
        login(phone, live_server, key)
        phone.goto(live_server.url + "/care/?show=all")
        assert phone.locator("#overdue-by-grid").is_visible()
        assert name in phone.locator(f"li[data-resident='{r.pk}']").inner_text()
        _no_sideways_scroll(phone)
    phone.set_viewport_size({"width": 1366, "height": 900})
    shot(phone, "care-community")  # masked: the community's staff
