"""The dispatcher desk in headless Chromium: keyboard-first (j/k, one key per action),
actions in place that keep the list where it was, conflicts told plainly, and a page
that fits a 390-px phone, in Chinese and in English."""

import re

import pytest
from playwright.sync_api import expect

from web.tests.test_browser import DESKTOP, PHONE, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    errors = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))  # a script error on the page
    pg.errors = errors
    yield pg
    context.close()


def test_dispatcher_works_the_queue_from_the_keyboard(page, live_server, district, log_call):
    from workorders.models import WorkOrder
    from workorders.services import work_order_assign

    orders = [log_call(title=f"占道摆摊第{i}件", category=None) for i in range(3)]  # newest first on the desk
    login(page, live_server, "dispatcher")
    assert page.url.endswith("/desk/")
    tab = page.get_by_role("link", name=re.compile("待派单"))
    assert tab.locator(".count").inner_text() == "3"
    assert page.locator("#pane").get_attribute("data-number") == orders[2].number
    shot(page, "desk-queue")

    page.locator("#rows a").first.focus()
    page.keyboard.press("j")  # the second row's pane comes in place
    # expect() polls from Python: a wait_for_function string would need eval, which the CSP forbids.
    expect(page.locator("#pane")).to_have_attribute("data-number", orders[1].number)
    assert page.locator("#rows li.selected").get_attribute("data-number") == orders[1].number
    page.keyboard.press("d")  # into the unit search of 派单
    assert page.evaluate("document.activeElement.classList.contains('unit-filter')")
    page.keyboard.type("乙街道")
    assert page.locator("#assign_unit").input_value() == str(district.street_b.pk)
    page.keyboard.press("Enter")
    page.get_by_text(f"{orders[1].number} 已派至乙街道").wait_for()
    assert WorkOrder.objects.get(pk=orders[1].pk).current_unit == district.street_b
    assert page.locator(f"#row-{orders[1].pk}").count() == 0  # gone from the list, in place
    assert tab.locator(".count").inner_text() == "2"
    assert page.locator("#pane").get_attribute("data-number") == orders[0].number  # the next in line
    assert page.url.endswith("/desk/") or "order=" in page.url

    # Someone else dispatches the order on screen; this dispatcher is told who and what now.
    from grids.models import Role
    from hotline.testing import make_user

    other = make_user("dispatcher2", district.center, Role.DISPATCHER)
    other.first_name = "李四"
    other.save()
    work_order_assign(order=orders[0], actor=other, unit=district.street_a)
    page.locator("#assign_unit").select_option(str(district.dept.pk))
    page.locator("form.assign button[type=submit]").click()
    notice = page.locator(".notice.conflict")
    notice.wait_for()
    text = notice.inner_text()
    assert "此单已被他人处理" in text and "李四" in text and "待签收" in text and "甲街道" in text
    assert WorkOrder.objects.get(pk=orders[0].pk).current_unit == district.street_a
    assert not page.errors


def test_desk_fits_a_phone_and_reads_in_english(browser, live_server, district, log_call):
    log_call(category=None)
    for locale, word in (("zh-CN", "派单台"), ("en-US", "Dispatch desk")):
        context = browser.new_context(viewport=PHONE, locale=locale)
        page = context.new_page()
        page.set_default_timeout(10_000)
        context.clear_cookies()
        page.goto(live_server.url + "/accounts/login/")
        page.fill("#id_username", "dispatcher")
        page.fill("#id_password", "pw-dispatcher")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert word in page.locator("h1").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        if locale == "en-US":
            assert "Keyboard shortcuts" in page.content() and "Find a unit" in page.content()
        context.close()


def test_queue_pages_pass_the_accessibility_audit(browser, live_server, district, log_call, assigned):
    """The same checks as test_accessibility (labels, unique ids, one h1/main, lang,
    contrast) over every desk tab and workbench tab, at desktop and phone width."""
    from datetime import timedelta

    from web.tests.test_accessibility import HELPERS, audit
    from workorders.services import work_order_assign, work_order_reply, work_order_request_extension, work_order_return

    log_call(category=None)
    returned = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    work_order_return(order=returned, actor=district.user("handler_a"), reason="not_territory", note="不归本街道")
    doing = work_order_sign_for(district, assigned)
    handle = doing.deadlines.get(stage="handle", state="open").due_at
    work_order_request_extension(
        order=doing, actor=district.user("handler_a"), proposed_due=handle + timedelta(days=2), reason="等材料"
    )
    other = work_order_sign_for(
        district, work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    )
    work_order_reply(order=other, actor=district.user("handler_a"), reply="已处理。")
    problems = []
    for viewport, width in ((DESKTOP, "desktop"), (PHONE, "phone")):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        context.add_init_script(HELPERS)  # the audit's helpers, as test_accessibility's pages have them
        page = context.new_page()
        page.set_default_timeout(15_000)
        login(page, live_server, "dispatcher")
        for tab in ("unrouted", "returned", "extensions", "replies"):
            page.goto(f"{live_server.url}/desk/?tab={tab}")
            problems += audit(page, f"/desk/?tab={tab} ({width})")
        login(page, live_server, "handler_a")
        for tab in ("all", "sign", "doing", "overdue"):
            page.goto(f"{live_server.url}/unit/?tab={tab}")
            problems += audit(page, f"/unit/?tab={tab} ({width})")
        context.close()
    assert problems == []


def work_order_sign_for(district, order):
    from workorders.services import work_order_sign

    return work_order_sign(order=order, actor=district.user("handler_a"))


def test_operator_works_the_submissions_queue_from_the_keyboard(page, live_server, district):
    """The submissions queue is the same pattern: j/k load each report's pane in place
    (its duplicates, suggested categories and forms), Enter goes to the accept form."""
    from workorders.models import WorkOrder
    from workorders.services import work_order_submit

    reports = [
        work_order_submit(
            channel="qr",
            title=f"垃圾满了{i}",
            description=f"幸福里小区门口垃圾桶满了，第{i}次反映。",
            caller_phone=f"1380000000{i}",
            community=district.community_a,
        )
        for i in range(3)
    ]
    login(page, live_server, "operator")
    page.goto(live_server.url + "/ops/submissions/")
    assert page.locator("#pane").get_attribute("data-number") == reports[0].number  # first come, first served
    assert page.locator("#rows li.qrow").count() == 3
    page.locator("#rows a").first.focus()
    page.keyboard.press("j")
    expect(page.locator("#pane")).to_have_attribute("data-number", reports[1].number)
    assert page.locator("#rows li.selected").get_attribute("data-number") == reports[1].number
    expect(page.locator("#pane .dups")).to_contain_text(reports[0].number)  # its likely duplicates
    # One letter per action: x unfolds 不予受理 and puts the cursor in its reason; Esc
    # back to the list; Enter goes to the accept form's first field.
    assert not page.locator("#pane details.action.danger").evaluate("d => d.open")
    page.keyboard.press("x")
    assert page.locator("#pane details.action.danger").evaluate("d => d.open")
    assert page.evaluate("document.activeElement.closest('form').action").endswith("/reject/")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")  # into the accept form's first field
    assert page.evaluate("document.activeElement.name") == "category"
    page.locator("#accept_category").select_option(str(district.cat_territorial.pk))
    page.locator("#pane form[action$='/accept/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert WorkOrder.objects.get(pk=reports[1].pk).status != "submitted"
    assert page.url.split("?")[0].endswith("/ops/submissions/")
    assert page.locator(f"#row-{reports[1].pk}").count() == 0
    assert not page.errors
