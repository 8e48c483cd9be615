"""The dispatcher can send an order to a property company from the desk: the picker lists
each community's companies under it."""

from django.urls import reverse

from grids.models import OrgUnit, Role, ServiceArea, UnitKind
from hotline.testing import make_user
from workorders.models import WorkOrder

HX = {"HTTP_HX_REQUEST": "true"}


def test_desk_picker_offers_property_companies_and_assigns_to_one(login, district, log_call):
    wuye = OrgUnit.objects.create(code="P-1", name="幸福里物业", kind=UnitKind.PROPERTY, parent=district.community_a)
    ServiceArea.objects.create(unit=wuye, name="幸福里小区", community=district.community_a, grid=district.grid_a)
    make_user("wuye_1", wuye, Role.HANDLER)
    order = log_call()
    client = login("dispatcher")
    pane = client.get(reverse("web:desk"), {"number": order.number}).content.decode()
    community_at, company_at = pane.find("　甲一社区"), pane.find("　　幸福里物业")
    assert 0 < community_at < company_at  # nested under its community
    response = client.post(
        reverse("web:desk_act", args=[order.number, "assign"]),
        {"tab": "unrouted", "expected_version": order.version, "unit": wuye.pk, "note": ""},
        **HX,
    )
    assert response.status_code == 200 and "已派至幸福里物业" in response.content.decode()
    assert WorkOrder.objects.get(pk=order.pk).current_unit == wuye


def test_desk_says_when_two_companies_serve_the_orders_estate(login, district, log_call):
    from dispatch.models import RoutingRule, RuleTarget
    from dispatch.services import route_order

    for code in ("P-1", "P-2"):
        unit = OrgUnit.objects.create(
            code=code, name=f"{code}物业", kind=UnitKind.PROPERTY, parent=district.community_a
        )
        ServiceArea.objects.create(unit=unit, name="幸福里小区", community=district.community_a, grid=district.grid_a)
    RoutingRule.objects.create(category=district.cat_territorial, target=RuleTarget.SERVING_UNIT, service="property")
    order = log_call()
    assert route_order(order_id=order.pk) is None  # left to the dispatchers
    pane = login("dispatcher").get(reverse("web:desk"), {"number": order.number}).content.decode()
    assert "多家物业/行业单位服务同一小区" in pane and "P-1物业" in pane and "P-2物业" in pane
