"""An appeal from filing to decision in headless Chromium, and the 考核 pages at desktop
and phone width. HOTLINE_SCREENSHOTS=1 writes docs/screenshots/governance-*.png."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from governance.models import Appeal
from hotline.testing import image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("Debian's chromium is not installed (make browser-deps)")
        pytest.skip("Debian's chromium is not installed (make browser-deps)")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    errors = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield pg
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e]


def shot(page, name: str) -> None:
    page.set_viewport_size(PHONE)
    # Nothing wider than the phone's screen except inside the scrolling table wrapper.
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    if os.environ.get("HOTLINE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"governance-{name}-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(SHOTS / f"governance-{name}-desktop.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    assert not overflow, f"{name} is wider than a phone"


def login(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("pw-" + username)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_appeal_from_filing_to_decision_changes_the_score(
    page, live_server, district, handled, street_scheme, log_call
):
    t0 = timezone.now() - timedelta(days=2)
    handled(t0=t0)
    late = handled(t0=t0, sign_after=timedelta(hours=5))
    month = f"{timezone.localtime(t0):%Y-%m}"
    scores = f"{live_server.url}/governance/?kind=street&month={month}"

    # Street A's handler sees 1 of 2 orders signed in time and appeals the late one.
    login(page, live_server, "handler_a")
    page.goto(scores)
    row = page.get_by_role("row", name="甲街道")
    assert "50.0%" in row.inner_text()
    shot(page, "scores-unit")
    page.goto(live_server.url + "/governance/appeals/")
    page.get_by_label("对工单提出申诉：工单号").fill(late.number)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("「签收」超时", exact=False).check()
    page.get_by_label("申诉理由").fill("派单当日本街道系统账号停用，已向中心报备（见附件）。")
    page.set_input_files(
        "input[name=files]", files=[{"name": "报备.png", "mimeType": "image/png", "buffer": image_bytes()}]
    )
    shot(page, "appeal-new")
    page.get_by_role("button", name="提交申诉").click()
    page.get_by_text("申诉已提交").wait_for()
    assert page.locator(".appeal-state").inner_text() == "待裁定"
    appeal = Appeal.objects.get()
    assert appeal.attachments.count() == 1 and appeal.unit == district.street_a

    # The center's supervisor decides; the appeal page shows every step as an event.
    login(page, live_server, "supervisor")
    page.goto(live_server.url + "/governance/appeals/")
    shot(page, "appeals")
    page.get_by_role("link", name=late.number).click()
    page.get_by_label("决定").select_option("yes")
    page.get_by_label("理由").fill("经核实账号当日停用，超时不计。")
    shot(page, "appeal-decide")
    page.get_by_role("button", name="提交裁定").click()
    page.get_by_text("已裁定").wait_for()
    assert page.locator(".appeal-state").inner_text() == "申诉成立"
    assert page.locator(".timeline li").count() == 2  # filed, upheld

    # The score moved: street A's response rate is now 1/1.
    page.goto(scores)
    row = page.get_by_role("row", name="甲街道")
    assert "100.0%" in row.inner_text()
    shot(page, "scores")
    row.get_by_role("link", name="1").first.click()
    page.get_by_text("1 件工单").wait_for()

    # What-if, reports and the return queue render for the center at both widths.
    page.goto(f"{live_server.url}/governance/what-if/?kind=street&month={month}")
    shot(page, "what-if")
    page.goto(live_server.url + "/governance/reports/")
    page.get_by_text("生成报告草稿").click()
    page.get_by_label("月份").fill(month)
    page.get_by_role("button", name="生成", exact=True).click()
    page.get_by_role("button", name="签批发布").click()
    page.get_by_text("已签批发布").first.wait_for()
    shot(page, "reports")

    # 派单异议: a return to review within its limit and an order that bounced to the center.
    from workorders.services import work_order_assign, work_order_reassign, work_order_return

    returned, bounced = (log_call(title=t) for t in ("井盖缺失", "楼道堆物"))
    for o in (returned, bounced):
        work_order_assign(order=o, actor=district.user("dispatcher"), unit=district.street_a)
        work_order_return(order=o, actor=district.user("handler_a"), reason="not_territory", note="不在本辖区")
    work_order_reassign(order=bounced, actor=None, unit=district.center, note="退单超过上限，中心兜底")
    login(page, live_server, "dispatcher")
    page.goto(live_server.url + "/governance/returns/")
    page.get_by_text(returned.number).wait_for()
    shot(page, "returns")
    card = page.locator("article", has_text=returned.number)
    card.get_by_label("审核结论").select_option("overruled")
    card.get_by_label("审核理由").fill("定位在甲街道辖区内")
    card.get_by_role("button", name="提交审核").click()
    page.get_by_text("退单审核已记录").wait_for()
    card = page.locator("article", has_text=bounced.number)
    card.get_by_label("改派至").select_option(label="乙街道")
    card.get_by_label("说明").fill("经协调由乙街道办理")
    card.get_by_role("button", name="兜底改派").click()
    page.get_by_text("已改派").wait_for()
    returned.refresh_from_db()
    bounced.refresh_from_db()
    assert (returned.status, returned.current_unit) == ("assigned", district.street_a)
    assert (bounced.status, bounced.current_unit) == ("assigned", district.street_b)
