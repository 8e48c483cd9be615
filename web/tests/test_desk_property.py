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
