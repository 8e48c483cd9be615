"""Browser walk (headless Chromium at 390 px, a phone): a 楼长 logs in with his phone
number, lands on his building's report form, reports, and sees the report in his list.

HOTLINE_SCREENSHOTS=1 writes docs/screenshots/community-captain-account-*.png."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from web.tests.conftest import browser  # noqa: F401 - the shared headless Chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}


def test_a_captain_logs_in_on_a_phone_reports_and_sees_his_report(browser, live_server, district):  # noqa: F811
    from community.captains import captain_account_open
    from community.models import Building, BuildingCaptain
    from workorders.models import WorkOrder

    building = Building.objects.create(
        community=district.community_a, code="S-A-1-B3", name="3号楼", address="幸福里小区", lat=39.905, lng=116.315
    )
    captain = BuildingCaptain.objects.create(building=building, name="赵阿姨", phone="13700001234")
    _user, password = captain_account_open(captain=captain)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors, missing = [], []
    page.on("console", lambda m: "Content Security Policy" in m.text and errors.append(m.text))
    page.on("response", lambda r: r.status >= 400 and r.request.resource_type == "document" and missing.append(r.url))
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("13700001234")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/community/captain/")
    page.get_by_text("位置：").wait_for()
    assert "3号楼" in page.locator("p.located").inner_text()  # his building, pre-filled
    page.get_by_label("反映的问题").fill("3单元楼道灯坏了一周，老人晚上下楼看不见。")
    page.get_by_role("button", name="提交").click()
    page.get_by_text("已提交，工单号").wait_for()
    order = WorkOrder.objects.get()
    assert (order.channel, order.caller_name, order.address) == ("captain", "赵阿姨", "幸福里小区 3号楼")
    item = page.locator(f'.captain-reports li[data-number="{order.number}"]')
    assert "待受理" in item.inner_text()
    if os.environ.get("HOTLINE_SCREENSHOTS") == "1":
        page.screenshot(path=str(SHOTS / "community-captain-account-phone.png"), full_page=True)
    # Usable at its width: nothing wider than the phone; no staff link in the bar.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("header nav a").all_inner_texts() == ["楼长上报"]
    assert not errors and not missing, (errors, missing)
    context.close()
