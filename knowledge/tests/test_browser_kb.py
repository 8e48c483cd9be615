"""An operator finds the answer while typing and closes the call, in headless Chromium,
at desktop and phone width. HOTLINE_SCREENSHOTS=1 writes docs/screenshots/kb-*.png."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from knowledge.tests.conftest import kb, make_article  # noqa: F401  (fixtures)
from web.tests.conftest import browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    if os.environ.get("HOTLINE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def login(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("pw-" + username)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_operator_finds_an_article_while_typing_and_closes_the_call(browser, live_server, kb, viewport):  # noqa: F811
    from workorders.models import WorkOrder

    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)  # two shared cores: the first page load can be slow
    try:
        login(page, live_server, "operator")
        assert page.url.endswith("/ops/")
        page.keyboard.type("13812345678")
        page.get_by_label("诉求内容").press_sequentially("您好，我的社保卡丢了，想问一下怎么补办", delay=10)
        panel = page.locator("#kb-suggest")
        panel.get_by_text("社保卡丢失补办").wait_for()
        assert "挂失" in panel.locator("details[open]").first.inner_text()  # the best hit is open
        assert "夏季管网改造停水安排" not in panel.inner_text()
        name = "desktop" if viewport is DESKTOP else "phone"
        shot(page, f"kb-console-{name}")
        if viewport is DESKTOP:
            panel.get_by_role("button", name="按此答复并办结").first.click()
            reply = kb["card"].body
        else:
            # At phone width: take the article into the answer field and adapt it first.
            panel.get_by_role("button", name="编辑后答复").first.click()
            answer = page.get_by_label("答复内容")
            assert answer.input_value().startswith("先拨打12333")
            answer.fill(answer.input_value() + "也可线上申请邮寄。")
            page.keyboard.press("Control+Enter")
            reply = kb["card"].body + "也可线上申请邮寄。"
        page.get_by_text(re.compile("已登记并即时办结")).wait_for()
        order = WorkOrder.objects.get()
        assert order.status == "closed" and order.reply == reply
        payload = order.events.get(kind="answer_now").payload
        assert payload["article"] == kb["card"].pk and payload["article_edited"] is (viewport is PHONE)

        # The knowledge base's own page, searched by a caller's words.
        page.goto(live_server.url + "/kb/?q=外地人办居住证要什么材料")
        page.get_by_role("link", name="居住证办理条件和材料").wait_for()
        shot(page, f"kb-list-{name}")
    finally:
        context.close()
