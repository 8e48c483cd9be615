"""The 物业考核 page in headless Chromium: a street ranks the companies serving it and
clicks a number through to its orders. HOTLINE_SCREENSHOTS=1 writes
docs/screenshots/governance-property-*.png."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.models import ComplaintCategory
from governance.services import scheme_save_version
from governance.tests.test_browser import browser, login, page, shot  # noqa: F401 (fixtures)
from grids.models import OrgUnit, Role, Service, ServiceArea, UnitKind
from hotline.testing import make_user
from workorders.models import Category
from workorders.services import work_order_assign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_street_ranks_its_property_companies_and_opens_the_complaints(page, live_server, district, log_call):  # noqa: F811
    complaint = Category.objects.create(
        code="0901",
        name="物业服务",
        parent=district.cat_territorial.parent,
        routing="territorial",
        sign_limit="30m",
        handle_limit="7d",
    )
    ComplaintCategory.objects.create(category=complaint, service=Service.PROPERTY)
    p1 = OrgUnit.objects.create(code="P-1", name="幸福里物业", kind=UnitKind.PROPERTY, parent=district.community_a)
    p2 = OrgUnit.objects.create(code="P-2", name="和园物业", kind=UnitKind.PROPERTY, parent=district.community_a)
    ServiceArea.objects.create(unit=p1, name="幸福里小区", community=district.community_a, grid=district.grid_a)
    ServiceArea.objects.create(unit=p2, name="和园", community=district.community_a, grid=district.grid_a2)
    make_user("wuye_1", p1, Role.HANDLER)
    make_user("wuye_2", p2, Role.HANDLER)
    scheme_save_version(
        code="wuye",
        name="物业考核",
        unit_kind=UnitKind.PROPERTY,
        weights={"on_time": 25, "satisfaction": 25, "reopen": 25, "complaint": 25},
    )
    t0 = timezone.now() - timedelta(hours=3)
    month = f"{timezone.localtime(t0):%Y-%m}"
    complaints = []
    for place, unit, category in (
        ({"lat": 39.905, "lng": 116.305}, p1, complaint),
        ({"lat": 39.905, "lng": 116.305}, p1, complaint),
        ({"lat": 39.905, "lng": 116.305}, p1, district.cat_territorial),
        ({"lat": 39.905, "lng": 116.315, "address": ""}, p2, district.cat_territorial),
    ):
        order = log_call(now=t0, category=category, **place)
        work_order_assign(order=order, actor=district.user("dispatcher"), unit=unit, now=t0)
        if category == complaint:
            complaints.append(order)

    login(page, live_server, "supervisor_a")
    page.goto(f"{live_server.url}/governance/property/?month={month}")
    page.get_by_role("heading", name="物业考核 · 甲街道").wait_for()
    first, second = page.locator("#property-ranking tbody tr").all()
    # 和园物业 has no complaint (100), 幸福里物业 two of three orders (33.33).
    assert first.inner_text().startswith("1\t和园物业") and "100.0" in first.inner_text()
    assert second.inner_text().startswith("2\t幸福里物业") and "33.33" in second.inner_text()
    shot(page, "property")
    # 被投诉率 is the last column: its numerator lists exactly the two complaints.
    second.locator("td").last.get_by_role("link").first.click()
    page.get_by_text("2 件工单").wait_for()
    for order in complaints:
        assert page.get_by_role("link", name=order.number).is_visible()
    shot(page, "property-orders")
