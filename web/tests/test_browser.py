"""Each role's main path in headless Chromium (Debian's, never a downloaded one).

Set HOTLINE_SCREENSHOTS=1 to also write desktop (1366×900) and phone (390×844)
screenshots of every page visited to var/screenshots/."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"  # not docs/: those come from the demo
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def shot(page, name: str) -> None:
    if os.environ.get("HOTLINE_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def login(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("pw-" + username)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_call_to_callback_moves_the_supervisors_rates(page, live_server, district):
    from workorders.models import WorkOrder

    # Operator: keyboard-first intake; suggestions and location come in as they type.
    login(page, live_server, "operator")
    assert page.url.endswith("/ops/")
    page.keyboard.type("13812345678")  # the phone field has focus on arrival
    page.keyboard.press("Tab")
    page.keyboard.type("张三")
    page.get_by_label("诉求内容").fill("幸福里小区门口每天傍晚有小贩摆摊，堵住了消防通道。")
    page.get_by_role("button", name=re.compile("占道经营")).wait_for()
    page.keyboard.press("Alt+1")
    page.get_by_label("地址").fill("幸福里小区东门")
    page.locator("#locate-hint").get_by_text("甲一1号网格").wait_for()
    shot(page, "operator-console")
    page.keyboard.press("Control+Enter")
    page.get_by_text("已登记").wait_for()
    order = WorkOrder.objects.get()
    assert order.category == district.cat_territorial and order.grid == district.grid_a
    assert order.current_unit == district.street_a  # routed automatically

    # Handler of street A: workbench → order page → sign → reply.
    login(page, live_server, "handler_a")
    assert page.url.endswith("/unit/")
    page.get_by_role("link", name=order.number).wait_for()
    shot(page, "workbench")
    page.get_by_role("link", name=order.number).click()
    assert "138****5678" in page.content()
    page.get_by_role("button", name="签收").click()
    page.get_by_text("已签收").wait_for()
    page.get_by_text("办结上报", exact=True).click()
    page.get_by_label("办理结果").fill("已劝离摊贩，通道已清理并拍照。")
    shot(page, "order")
    page.get_by_role("button", name="确认办结上报").click()
    page.get_by_text("已办结上报").wait_for()

    # Dispatcher: review the reply against the closure standard and approve.
    login(page, live_server, "dispatcher")
    assert page.url.endswith("/desk/")
    page.get_by_role("link", name=re.compile("办结审核")).click()
    page.get_by_text("现场清理完毕并拍照。").wait_for()
    shot(page, "desk")
    page.get_by_role("button", name=re.compile("审核通过")).click()
    page.get_by_text("审核通过，已转回访").wait_for()

    # Operator: callback with the reply read out.
    login(page, live_server, "operator")
    page.goto(live_server.url + "/ops/callbacks/")
    page.get_by_text("已劝离摊贩，通道已清理并拍照。").wait_for()
    page.get_by_label("已联系上").check()
    page.get_by_label("是否解决").select_option("solved")
    page.get_by_label("是否满意").select_option("satisfied")
    shot(page, "callbacks")
    page.get_by_role("button", name="记录回访结果").click()
    page.get_by_text("已回访").wait_for()
    order.refresh_from_db()
    assert order.status == "closed"

    # Supervisor: the satisfaction rate now counts this callback, 1 of 1.
    login(page, live_server, "supervisor")
    assert page.url.endswith("/dashboard/")
    card = page.locator('[data-figure="satisfaction"]')
    assert card.locator(".big").inner_text() == "100.0%"
    assert card.locator(".parts").inner_text().replace(" ", "") == "1/1"
    shot(page, "dashboard")
    card.locator(".parts a").first.click()
    page.get_by_role("link", name=order.number).wait_for()
    shot(page, "ledger")


def test_resident_reports_through_the_qr_page_and_tracks(page, live_server, district):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/p/{district.community_a.code}/")
    page.get_by_text("甲一社区").first.wait_for()
    page.get_by_label("您要反映的问题").fill("3号楼楼道灯坏了一个月。")
    page.get_by_label("手机号码").fill("13600001111")
    page.set_viewport_size(DESKTOP)
    shot(page, "public-report")
    page.get_by_role("button", name="提交").click()
    number = page.locator("#receipt-number").inner_text()
    code = page.locator("#receipt-code").inner_text()
    shot(page, "public-done")
    page.get_by_role("link", name="查询进度").last.click()
    page.get_by_label("工单号").fill(number)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    page.get_by_text("您的诉求已收到，正在等待受理。").wait_for()
    assert "13600001111" not in page.content()
    shot(page, "public-track")


def test_a_user_cannot_open_a_page_or_order_outside_their_scope(page, live_server, district, log_call):
    from workorders.services import work_order_assign

    order = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    login(page, live_server, "handler_b")
    assert order.number not in page.content()
    response = page.goto(f"{live_server.url}/orders/{order.number}/")
    assert response.status == 404
    for path in ("/ops/", "/desk/", "/dashboard/"):
        assert page.goto(live_server.url + path).status == 404


def test_grid_worker_reports_from_a_phone_with_position_and_photo(browser, live_server, district, tmp_path, settings):
    """Phone width, the phone's position granted: the page shows the grid the worker stands
    in, they search a category, describe, attach a photo, report and see the number."""
    from PIL import Image

    from workorders.models import WorkOrder

    settings.MEDIA_ROOT = tmp_path
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": 39.905, "longitude": 116.305},  # inside grid A1
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, live_server, "grid_worker_a")
        assert page.url.endswith("/patrol/")  # a grid worker starts their day here
        page.locator("#locate-hint").get_by_text("甲一1号网格").wait_for()
        page.get_by_text("按您的网格上报：甲一1号网格").wait_for()
        page.get_by_label("搜索分类").fill("摆摊")
        assert page.get_by_label("问题分类").input_value() == str(district.cat_territorial.pk)
        page.get_by_label("问题描述").fill("幸福里小区东门小贩占道，堵住消防通道。")
        photo = tmp_path / "scene.png"
        Image.new("RGB", (8, 8), "red").save(photo, "PNG")
        page.get_by_label("现场照片").set_input_files(str(photo))
        page.get_by_label("紧急").check()
        # The whole form fits a phone's width: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, "patrol-report")
        page.set_viewport_size(PHONE)  # shot() leaves the desktop size behind

        # A bad description first: the message is on the page, the rest is kept.
        page.get_by_label("问题描述").fill("")
        page.get_by_role("button", name="上报", exact=True).click()
        page.get_by_text("该字段是必填项").wait_for()
        assert page.get_by_label("问题分类").input_value() == str(district.cat_territorial.pk)
        assert not WorkOrder.objects.exists()

        page.get_by_label("问题描述").fill("幸福里小区东门小贩占道，堵住消防通道。")
        page.get_by_label("现场照片").set_input_files(str(photo))
        page.get_by_role("button", name="上报", exact=True).click()
        number = page.locator("#receipt-number").inner_text()
        order = WorkOrder.objects.get()
        assert number == order.number
        assert order.channel == "patrol" and order.grid == district.grid_a and order.urgency == "urgent"
        assert order.created_by == district.user("grid_worker_a") and order.attachments.count() == 1
        page.get_by_text("已上报，等待话务员受理").wait_for()
        shot(page, "patrol-mine")
    finally:
        context.close()
