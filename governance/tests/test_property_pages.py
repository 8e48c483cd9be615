"""The 物业考核 page of a street or community, its click-through, and what a property
company's staff may see and do in the pages."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from governance.models import ComplaintCategory
from governance.services import scheme_save_version
from governance.tests.conftest import MONTH, T0
from grids.models import OrgUnit, Role, Service, ServiceArea, UnitKind
from hotline.testing import make_user
from workorders.choices import Status
from workorders.errors import NotAllowed
from workorders.models import Category, Event
from workorders.services import work_order_assign, work_order_reveal_caller

pytestmark = pytest.mark.django_db

A1 = {"lat": 39.905, "lng": 116.305, "address": "幸福里小区"}
A2 = {"lat": 39.905, "lng": 116.315, "address": ""}
B1 = {"lat": 39.905, "lng": 116.325, "address": ""}


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def setup(district, log_call):
    """幸福里物业 (under community A) serves grid A1 and community B; 和园物业 serves grid A2.
    Each has a complaint in its 小区 assigned to it this month (T0's)."""
    major = Category.objects.create(code="09", name="物业管理")
    complaint = Category.objects.create(
        code="0901", name="物业服务", parent=major, routing="territorial", sign_limit="30m", handle_limit="7d"
    )
    ComplaintCategory.objects.create(category=complaint, service=Service.PROPERTY)
    p1 = OrgUnit.objects.create(code="P-1", name="幸福里物业", kind=UnitKind.PROPERTY, parent=district.community_a)
    p2 = OrgUnit.objects.create(code="P-2", name="和园物业", kind=UnitKind.PROPERTY, parent=district.community_a)
    ServiceArea.objects.create(unit=p1, name="幸福里小区", community=district.community_a, grid=district.grid_a)
    ServiceArea.objects.create(unit=p1, name="和平家园", community=district.community_b)
    ServiceArea.objects.create(unit=p2, name="和园", community=district.community_a, grid=district.grid_a2)
    make_user("wuye_1", p1, Role.HANDLER)
    make_user("wuye_2", p2, Role.HANDLER)
    make_user("handler_community_b", district.community_b, Role.HANDLER)
    orders = {}
    for key, place, unit in (("a1", A1, p1), ("b1", B1, p1), ("a2", A2, p2)):
        order = log_call(now=T0, category=complaint, **place)
        orders[key] = work_order_assign(order=order, actor=district.user("dispatcher"), unit=unit, now=T0)
    scheme_save_version(
        code="wuye", name="物业考核", unit_kind=UnitKind.PROPERTY, weights={"satisfaction": 50, "complaint": 50}
    )
    return {"p1": p1, "p2": p2, **orders}


def _user(name):
    return get_user_model().objects.get(username=name)


def _rows(body: str) -> list[str]:
    table = body.split('id="property-ranking"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>\s*<td>[^<]*</td><td>([^<]+)</td>", table)


def test_a_community_ranks_the_companies_serving_it_on_its_own_orders(client, district, setup):
    client.force_login(_user("handler_community_b"))
    body = client.get(reverse("governance:property"), {"month": MONTH}).content.decode()
    # 幸福里物业 sits under community A in the tree but serves community B too.
    assert _rows(body) == ["幸福里物业"]
    assert "被投诉率" in body and "物业考核" in body
    link = re.search(r'href="([^"]*ind=complaint[^"]*part=num[^"]*)"', body).group(1).replace("&amp;", "&")
    assert f"area={district.community_b.pk}" in link
    listed = client.get(link).content.decode()
    assert setup["b1"].number in listed and setup["a1"].number not in listed
    # and the order itself opens for the community (its resident, a company serving it)
    assert client.get(reverse("web:order", args=[setup["b1"].number])).status_code == 200
    assert client.get(reverse("web:order", args=[setup["a1"].number])).status_code == 404


def test_a_street_ranks_every_company_of_its_communities(client, district, setup):
    client.force_login(district.user("supervisor_a"))
    body = client.get(reverse("governance:property"), {"month": MONTH}).content.decode()
    assert sorted(_rows(body)) == ["和园物业", "幸福里物业"]
    # One complaint of one order each in street A, nothing else rated: equal scores share the rank.
    table = body.split('id="property-ranking"', 1)[1]
    assert sorted(re.findall(r"<tr>\s*<td>([^<]*)</td><td>([^<]+)</td>", table)) == [
        ("1", "和园物业"),
        ("1", "幸福里物业"),
    ]


def test_the_center_sees_the_district_and_may_pick_an_area(client, district, setup):
    client.force_login(district.user("supervisor"))
    body = client.get(reverse("governance:property"), {"month": MONTH}).content.decode()
    assert sorted(_rows(body)) == ["和园物业", "幸福里物业"]
    assert "2</a>" in body  # 幸福里物业: two complaints district-wide
    body = client.get(
        reverse("governance:property"), {"month": MONTH, "area": district.community_b.pk}
    ).content.decode()
    assert _rows(body) == ["幸福里物业"]


def test_an_area_outside_the_users_own_is_404(client, district, setup):
    client.force_login(district.user("handler_b"))
    assert (
        client.get(reverse("governance:property"), {"area": district.community_a.pk, "month": MONTH}).status_code == 404
    )
    query = {
        "kind": "property",
        "month": MONTH,
        "unit": setup["p2"].pk,
        "ind": "complaint",
        "part": "all",
        "area": district.street_b.pk,
    }
    # 和园物业 does not serve street B: its orders are not street B's business.
    assert client.get(reverse("governance:orders"), query).status_code == 404


def test_a_property_company_sees_only_its_own_orders_and_callers_masked(client, district, setup):
    client.force_login(_user("wuye_2"))
    own, other = setup["a2"], setup["a1"]
    assert client.get(reverse("web:order", args=[other.number])).status_code == 404
    page = client.get(reverse("web:order", args=[own.number])).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    bench = client.get(reverse("web:workbench")).content.decode()
    assert own.number in bench and other.number not in bench and setup["b1"].number not in bench
    # Its own ranking is its own row only.
    body = client.get(reverse("governance:index"), {"kind": "property", "month": MONTH}).content.decode()
    assert "和园物业" in body and "幸福里物业" not in body


def test_a_property_company_signs_and_replies_from_its_pages(client, district, setup):
    order = setup["a2"]
    client.force_login(_user("wuye_2"))
    response = client.post(
        reverse("web:order_act", args=[order.number, "sign"]), {"expected_version": order.version}, follow=True
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS
    response = client.post(
        reverse("web:order_act", args=[order.number, "reply"]),
        {"expected_version": order.version, "reply": "已安排保洁清理并整改"},
        follow=True,
    )
    order.refresh_from_db()
    assert order.status == Status.REPLIED, response.content.decode()[:2000]
    assert Event.objects.get(order=order, kind="reply").actor_unit == setup["p2"]


def test_a_confidential_callers_details_never_reach_the_property_company(client, district, log_call, setup):
    order = log_call(now=T0 + timedelta(days=1), caller_confidential=True, **A2)
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=setup["p2"])
    client.force_login(_user("wuye_2"))
    page = client.get(reverse("web:order", args=[order.number])).content.decode()
    assert "13812345678" not in page and "138****5678" not in page and "张三" not in page
    with pytest.raises(NotAllowed):
        work_order_reveal_caller(order=order, actor=_user("wuye_2"))
    assert not Event.objects.filter(order=order, kind="reveal_caller").exists()


def test_a_property_company_may_not_reveal_the_caller(district, setup):
    from workorders.errors import NotAllowed

    with pytest.raises(NotAllowed):
        work_order_reveal_caller(order=setup["a2"], actor=_user("wuye_2"))
    assert not Event.objects.filter(order=setup["a2"], kind="reveal_caller").exists()


def test_the_index_shows_complaints_only_for_property_companies(client, district, setup):
    scheme_save_version(code="street", name="街道考核", unit_kind=UnitKind.STREET, weights={"satisfaction": 1})
    client.force_login(district.user("supervisor"))
    body = client.get(reverse("governance:index"), {"kind": "street", "month": MONTH}).content.decode()
    assert "被投诉率" not in body.split("<table", 1)[1]
    body = client.get(reverse("governance:index"), {"kind": "property", "month": MONTH}).content.decode()
    assert "被投诉率" in body.split("<table", 1)[1]


def test_the_ranking_page_speaks_english_when_asked(client, district, setup):
    from django.utils import translation

    client.force_login(district.user("supervisor"))
    try:
        body = client.get(reverse("governance:property"), {"month": MONTH}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    finally:
        translation.deactivate()
    assert "Property company assessment" in body and "Complaint rate" in body and "被投诉率" not in body


def test_admin_edits_service_areas_complaint_categories_and_serving_rules(client, district, setup):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", password="pw-root")
    client.force_login(admin)
    for name in ("grids_servicearea", "governance_complaintcategory", "dispatch_routingrule"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
        assert client.get(reverse(f"admin:{name}_add")).status_code == 200, name
    response = client.post(
        reverse("admin:governance_complaintcategory_add"),
        {"category": district.cat_territorial.pk, "service": "property", "note": "占道也算投诉物业"},
    )
    assert response.status_code == 302
    assert ComplaintCategory.objects.filter(category=district.cat_territorial).exists()


def test_a_unit_without_an_area_is_told_where_its_scores_are(client, district, setup):
    for user in (district.user("handler_dept"), _user("wuye_1")):
        client.force_login(user)
        response = client.get(reverse("governance:property"), {"month": MONTH})
        body = response.content.decode()
        assert response.status_code == 200 and "本单位的考核得分见" in body and "property-ranking" not in body
