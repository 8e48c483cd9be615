"""Browser walk (headless Chromium, desktop and 390 px): a camera's detection reaches the
operator, who hands it to 119 with one action from the order page.

HOTLINE_SCREENSHOTS=1 writes docs/screenshots/community-*.png."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from web.tests.conftest import browser  # noqa: F401 - the shared headless Chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    if os.environ.get("HOTLINE_SCREENSHOTS") != "1":
        return
    page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_detection_is_transferred_to_119_from_the_order_page(browser, live_server, district, camera, viewport):  # noqa: F811
    from community.models import EmergencyTransfer
    from community.tests.conftest import FakeSource
    from hotline.testing import image_bytes
    from workorders.models import WorkOrder

    _source, key = camera
    number = (
        FakeSource(key)
        .report(
            event_id="smoke-1",
            title="烟雾告警",
            description="3号楼东侧摄像头识别到浓烟",
            photo=image_bytes("JPEG", (320, 240)),
        )
        .json()["number"]
    )
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors, missing = [], []
    page.on("console", lambda m: "Content Security Policy" in m.text and errors.append(m.text))
    page.on("response", lambda r: r.status >= 400 and r.request.resource_type == "document" and missing.append(r.url))
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("operator")
    page.get_by_label("密码").fill("pw-operator")
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/orders/{number}/")
    page.get_by_text("城运感知").first.wait_for()  # the channel, by its name
    page.get_by_text("转紧急热线", exact=True).click()
    page.get_by_label("119 火警").check()
    page.get_by_label("转接说明").fill("疑似火情，已转119，对方已受理。")
    if viewport == DESKTOP:
        shot(page, "community-transfer")
    page.get_by_role("button", name="确认转紧急热线").click()
    page.get_by_text("已转紧急热线").wait_for()
    assert WorkOrder.objects.get(number=number).status == "closed"
    assert EmergencyTransfer.objects.get().line == "119"
    # The page is usable at its width: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert not errors and not missing, (errors, missing)
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_unsatisfied_revisit_is_recorded_from_the_revisit_page(browser, live_server, district, log_call, viewport):  # noqa: F811
    from datetime import timedelta

    from django.utils import timezone

    from community.models import RevisitPolicy
    from community.revisits import revisit_scan
    from community.tests.test_revisits import closed_order
    from workorders.models import WorkOrder

    RevisitPolicy.objects.create(category=district.cat_territorial, sample_percent=100, delay_days=7)
    now = timezone.now()
    order = closed_order(district, log_call, at=now - timedelta(days=8))
    closed_order(district, log_call, at=now - timedelta(days=9))
    revisit_scan(now=now)
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    missing = []
    page.on("response", lambda r: r.status >= 400 and r.request.resource_type == "document" and missing.append(r.url))
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("operator")
    page.get_by_label("密码").fill("pw-operator")
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="回头看", exact=True).first.click()
    page.get_by_text("回头看率").wait_for()
    item = page.locator("article.queue-item", has_text=order.number)
    item.get_by_label("不满意").check()
    item.get_by_label("说明").fill("市民反映摊贩这两天又回来了。")
    if viewport == DESKTOP:
        shot(page, "community-revisits")
    item.get_by_role("button", name="记录回头看结果").click()
    page.get_by_text("回头看已记录为「不满意」").wait_for()
    assert WorkOrder.objects.get(pk=order.pk).status == "in_progress"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert not missing, missing
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_building_captain_reports_from_their_link(browser, live_server, district, viewport):  # noqa: F811
    from community.models import Building, BuildingCaptain
    from workorders.models import WorkOrder

    building = Building.objects.create(
        community=district.community_a, code="S-A-1-B3", name="3号楼", address="幸福里小区", lat=39.905, lng=116.315
    )
    captain = BuildingCaptain.objects.create(building=building, name="赵阿姨", phone="13700001234")
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/community/captain/{captain.token}/")
    page.get_by_text("楼长：赵阿姨").wait_for()
    page.get_by_label("您要反映的问题").fill("3单元楼道灯坏了一周，老人晚上下楼看不见。")
    shot_name = "community-captain" if viewport == DESKTOP else None
    if shot_name:
        shot(page, shot_name)
    # Our form fits the phone (the receipt page after it is the public portal's own).
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/p/done/")
    order = WorkOrder.objects.get()
    assert (order.channel, order.caller_name, order.community) == ("captain", "赵阿姨", district.community_a)
    assert order.number in page.content()
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_community_worker_prints_the_contact_card_from_the_posters_page(browser, live_server, district, viewport):  # noqa: F811
    """便民联系卡: found beside the community's 一号一码 poster, the A6 card is a PDF whose QR
    opens the community's own form and which lists the admin's contacts."""
    from community.models import CommunityContact
    from web.tests.test_poster_qr import decoded_urls, pdf_images

    CommunityContact.objects.create(community=district.community_a, role="police", name="王警官", phone="13900001111")
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("handler_community_a")
    page.get_by_label("密码").fill("pw-handler_community_a")
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/posters/")
    row = page.locator("tr", has_text=district.community_a.name)
    link = row.get_by_role("link", name="A6")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    response = page.request.get(live_server.url + link.get_attribute("href"))  # the page's session
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    urls = [url for img in pdf_images(response.body()) for url in decoded_urls(img)]
    assert urls == [f"{live_server.url}/p/{district.community_a.code}/"]
    context.close()
