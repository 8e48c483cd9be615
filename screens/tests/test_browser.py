"""A community screen in headless Chromium: a newly published notice appears on the next
poll, and the content stays when the server becomes unreachable. HOTLINE_SCREENSHOTS=1
writes the kiosk (1920×1080) and the center's page to var/screenshots/."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from screens.models import Priority
from screens.services import notice_publish, screen_create
from web.tests.test_browser import SHOTS, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KIOSK = {"width": 1920, "height": 1080}


@pytest.fixture
def kiosk(browser):
    context = browser.new_context(viewport=KIOSK, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def _publish(district, title, priority=Priority.NORMAL, body="请相互转告。"):
    now = timezone.now()
    return notice_publish(
        actor=district.user("supervisor"),
        title=title,
        body=body,
        community_ids=[district.community_a.pk],
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=6),
        priority=priority,
    )


def test_screen_shows_a_new_notice_and_keeps_content_offline(kiosk, live_server, district, log_call):
    from workorders.services import work_order_assign

    # An order the community leads: counted in its figures by the dashboard's own rule.
    work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.community_a)
    screen, token = screen_create(community=district.community_a, name="社区服务站大厅")
    _publish(district, "本周六社区义诊", body="周六上午9点至11点，社区服务站一楼。")
    errors = []
    kiosk.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    kiosk.on("pageerror", lambda e: errors.append(str(e)))
    kiosk.goto(f"{live_server.url}/screens/k/{token}/?poll=2")
    assert kiosk.locator("#k-list li").count() == 1
    assert kiosk.locator("#k-volume").inner_text() == "1"

    _publish(
        district,
        "防台防汛紧急通知",
        Priority.URGENT,
        body="台风“海葵”今晚登陆，请收好阳台花盆，低洼地段居民听从网格员安排转移。",
    )
    first = kiosk.locator("#k-list li").first
    first.filter(has_text="防台防汛紧急通知").wait_for()  # redrawn by the poll, urgent first
    assert "紧急" in first.inner_text()
    screen.refresh_from_db()
    assert timezone.now() - screen.last_seen_at < timedelta(seconds=10)
    if os.environ.get("HOTLINE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        kiosk.screenshot(path=str(SHOTS / "screens-kiosk-1920.png"))

    # The network drops: every poll fails; the screen keeps its notices and says so.
    kiosk.route("**/feed.json", lambda route: route.abort("internetdisconnected"))
    kiosk.locator("#k-state.k-offline").wait_for()
    assert kiosk.locator("#k-list li").count() == 2
    assert "防台防汛紧急通知" in kiosk.locator("#k-list").inner_text()
    kiosk.unroute("**/feed.json")
    kiosk.locator("#k-state.k-online").wait_for()
    # A small screen (or a phone checking the page) gets one column and no sideways scroll.
    kiosk.set_viewport_size({"width": 390, "height": 844})
    assert kiosk.evaluate("document.documentElement.scrollWidth") <= 390
    assert kiosk.locator("#k-volume").is_visible()
    assert not [e for e in errors if "Content Security Policy" in e]


def test_center_screens_page(browser, live_server, district):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    _a, token = screen_create(community=district.community_a, name="社区服务站大厅")
    screen_create(community=district.community_b, name="乙一社区广场")  # never checked in
    page.goto(f"{live_server.url}/screens/k/{token}/")
    login(page, live_server, "supervisor")
    page.goto(live_server.url + "/screens/")
    page.get_by_label("标题").fill("暴雨橙色预警")
    page.get_by_label("正文").fill("今夜有大暴雨，请勿在地下空间逗留。")
    page.get_by_label("优先级").select_option(label="紧急")
    page.get_by_label("结束时间").fill((timezone.localtime() + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("甲街道 · 甲一社区").check()
    page.get_by_label("乙街道 · 乙一社区").check()
    page.get_by_role("button", name="发布").click()
    page.wait_for_load_state()
    assert "公告已发布" in page.inner_text("main")
    assert "失联" in page.locator("tr", has_text="乙一社区广场").inner_text()
    assert "正常" in page.locator("tr", has_text="社区服务站大厅").inner_text()
    shot(page, "screens-center")
    context.close()
