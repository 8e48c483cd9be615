"""The pages work in Chromium under the Content-Security-Policy: no violation reported on
any role's main pages, and the behaviour moved out of inline code still works (language
switch, htmx suggestions, the dashboard's trend bars, the API docs)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch(page) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    return violations


def _login(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("pw-" + username)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_pages_raise_no_csp_violation_and_still_work(browser, live_server, district, log_call):
    from workorders.services import work_order_assign

    order = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations = _watch(page)
    try:
        _login(page, live_server, "operator")
        page.get_by_label("诉求内容").fill("幸福里小区门口每天傍晚有小贩摆摊，堵住了消防通道。")
        page.get_by_role("button", name="占道经营").first.wait_for()  # htmx fetched the suggestions
        with page.expect_navigation():
            page.get_by_label("语言").select_option("en")  # submits through static/js/base.js
        assert page.locator("html").get_attribute("lang") == "en"
        with page.expect_navigation():
            page.get_by_label("Language").select_option("zh-hans")
        _login(page, live_server, "handler_a")
        page.goto(f"{live_server.url}/orders/{order.number}/")
        page.get_by_role("button", name="签收").wait_for()
        _login(page, live_server, "supervisor")
        page.goto(live_server.url + "/dashboard/")
        bar = page.locator(".trend rect.bar.received").first
        assert float(bar.get_attribute("height")) > 0 and bar.bounding_box()["height"] > 0
        page.goto(live_server.url + "/api/v1/docs/")
        page.locator(".swagger-ui .info").wait_for()
        page.goto(f"{live_server.url}/p/{district.community_a.code}/")
        page.wait_for_load_state()
    finally:
        context.close()
    assert violations == []
