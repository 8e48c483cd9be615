"""A topic (专题) from detection to closure in headless Chromium, as a supervisor
(proactive app). HOTLINE_SCREENSHOTS=1 writes the pages to var/screenshots/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from proactive.detection import signals_detect
from proactive.models import Topic
from web.tests.test_browser import PHONE, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def _calls(log_call, when):
    texts = ["幸福里小区门口傍晚有人摆摊占道", "幸福里东门每天傍晚摆摊影响通行", "幸福里小区门口摆摊占道，车过不去"]
    for i, text in enumerate(texts):
        log_call(now=when + timedelta(hours=i), description=text, caller_phone="1391234567" + str(i % 2))


def test_a_topic_from_detection_to_closure(page, live_server, district, log_call):
    now = timezone.now()
    _calls(log_call, now - timedelta(hours=5))
    signals_detect(week=timezone.localdate())
    later = log_call(title="又有人摆摊", description="幸福里门口又在摆摊")

    login(page, live_server, "supervisor")
    page.goto(live_server.url + "/proactive/")
    card = page.locator("section.signal", has_text="相似诉求聚集")
    assert "139****5670" in card.inner_text() or "139****5671" in card.inner_text()
    shot(page, "proactive-warnings")
    card.get_by_role("link", name="立为专题").click()
    page.get_by_label("专题名称").fill("幸福里门口占道摆摊")
    page.get_by_label("工作方案").fill("城管、街道联合执法；设置便民疏导点。")
    page.get_by_label("完成期限").fill((timezone.localdate() + timedelta(days=30)).isoformat())
    shot(page, "proactive-promote")
    page.get_by_role("button", name="立为专题").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("幸福里门口占道摆摊")

    page.get_by_label("节点").fill("设置便民疏导点")
    page.get_by_label("计划完成").fill((timezone.localdate() + timedelta(days=10)).isoformat())
    page.get_by_role("button", name="添加节点").click()
    page.get_by_label("工单号").fill(later.number)
    page.get_by_role("button", name="关联", exact=True).click()
    page.get_by_role("button", name="办结专题").click()  # empty result: refused, nothing lost
    assert page.locator(".error").first.is_visible()
    page.get_by_role("button", name="标记完成").click()
    shot(page, "proactive-topic")
    page.get_by_label("办结情况").fill("疏导点已启用，摊贩入点经营")
    page.get_by_role("button", name="办结专题").click()
    page.wait_for_load_state()
    topic = Topic.objects.get()
    assert topic.status == "closed" and topic.orders.count() == 4
    assert "已办结" in page.locator("h1").inner_text()
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
