"""Rules that send an order to the property company or utility serving its 小区."""

import pytest
from django.core.exceptions import ValidationError

from dispatch.models import DispatchQueueEntry, Notification, RoutingRule, RuleTarget
from grids.models import OrgUnit, Role, Service, ServiceArea, UnitKind
from hotline.testing import make_user
from workorders.choices import Status


@pytest.fixture
def estates(district):
    """幸福里物业 serves grid A1 (幸福里小区) and, across the street line, community B;
    甲一供水 serves the whole of community A with water."""
    wuye = OrgUnit.objects.create(code="P-A-1", name="幸福里物业", kind=UnitKind.PROPERTY, parent=district.community_a)
    water = OrgUnit.objects.create(code="P-A-2", name="甲一供水站", kind=UnitKind.PROPERTY, parent=district.community_a)
    ServiceArea.objects.create(unit=wuye, name="幸福里小区", community=district.community_a, grid=district.grid_a)
    ServiceArea.objects.create(unit=wuye, name="和平家园", community=district.community_b)
    ServiceArea.objects.create(unit=water, name="甲一社区", community=district.community_a, service=Service.WATER)
    make_user("wuye_a", wuye, Role.HANDLER)
    return wuye, water


@pytest.fixture
def property_rule(district):
    return RoutingRule.objects.create(
        category=district.cat_territorial, target=RuleTarget.SERVING_UNIT, service=Service.PROPERTY
    )


def test_order_in_a_served_estate_goes_to_its_property_company_with_the_reason(
    district, routed, estates, property_rule
):
    wuye, _water = estates
    order = routed()  # grid A1, 幸福里小区
    assert order.status == Status.ASSIGNED and order.current_unit == wuye and order.lead_unit == wuye
    [reason] = [r for r in order.events.get(kind="assign").payload["routing"]["reasons"] if r["code"] == "rule"]
    assert reason["rule"] == property_rule.pk and reason["target"] == "serving_unit"
    assert reason["service"] == "property" and "fallback" not in reason
    # Its staff are told like any unit's.
    assert Notification.objects.filter(order=order, recipient__username="wuye_a").count() == 1


def test_a_company_serving_two_communities_gets_the_orders_of_both(district, routed, estates, property_rule):
    wuye, _water = estates
    assert routed(lat=39.905, lng=116.325, address="").current_unit == wuye  # community B, street B


def test_an_estate_nobody_serves_falls_back_to_the_street_and_says_so(district, routed, estates, property_rule):
    order = routed(lat=39.905, lng=116.315, address="")  # grid A2: no 物业 there
    assert order.current_unit == district.street_a
    [reason] = [r for r in order.events.get(kind="assign").payload["routing"]["reasons"] if r["code"] == "rule"]
    assert reason["fallback"] is True and reason["target"] == "territorial"


def test_the_rule_service_picks_the_utility_not_the_property_company(district, routed, estates):
    _wuye, water = estates
    RoutingRule.objects.create(category=district.cat_territorial, target=RuleTarget.SERVING_UNIT, service="water")
    # Grid A1: 幸福里物业 serves the grid, but only the water station supplies water there.
    assert routed().current_unit == water


def test_two_companies_serving_one_place_leave_the_order_to_the_dispatchers(district, routed, estates, property_rule):
    wuye, _water = estates
    other = OrgUnit.objects.create(code="P-A-3", name="另一物业", kind=UnitKind.PROPERTY, parent=district.community_a)
    ServiceArea.objects.create(unit=other, name="幸福里小区北区", community=district.community_a, grid=district.grid_a)
    order = routed()
    assert order.status == Status.ACCEPTED
    entry = DispatchQueueEntry.objects.get(order=order, state="open")
    codes = [r["code"] for r in entry.reasons]
    assert "service_area_shared" in codes and "conflicting_rules" in codes
    assert {s["unit"] for s in entry.suggestions} >= {wuye.pk, other.pk}


def test_a_deactivated_company_is_not_routed_to(district, routed, estates, property_rule):
    wuye, _water = estates
    wuye.is_active = False
    wuye.save()
    assert routed().current_unit == district.street_a


def test_a_serving_unit_rule_must_name_its_service(district):
    rule = RoutingRule(category=district.cat_territorial, target=RuleTarget.SERVING_UNIT)
    with pytest.raises(ValidationError) as err:
        rule.full_clean()
    assert "service" in err.value.message_dict


def test_a_service_area_grid_must_lie_in_its_community(district, estates):
    wuye, _water = estates
    area = ServiceArea(unit=wuye, name="错位", community=district.community_b, grid=district.grid_a)
    with pytest.raises(ValidationError) as err:
        area.full_clean()
    assert "grid" in err.value.message_dict
    street_as_company = ServiceArea(unit=district.street_a, name="x", community=district.community_a)
    with pytest.raises(ValidationError):
        street_as_company.full_clean()
