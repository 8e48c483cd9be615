"""Scope with property companies: a company sees its own orders only; each community it
serves sees its orders located there (and no other), the list and the per-order check agree."""

import pytest

from grids.models import OrgUnit, Role, ServiceArea, UnitKind
from hotline.testing import make_user
from workorders.scope import order_visible_to, orders_visible_to
from workorders.services import work_order_assign

pytestmark = pytest.mark.django_db


A1 = {"lat": 39.905, "lng": 116.305, "address": "幸福里小区"}
B1 = {"lat": 39.905, "lng": 116.325, "address": ""}


@pytest.fixture
def world(district, log_call):
    p1 = OrgUnit.objects.create(code="P-1", name="幸福里物业", kind=UnitKind.PROPERTY, parent=district.community_a)
    p2 = OrgUnit.objects.create(code="P-2", name="和园物业", kind=UnitKind.PROPERTY, parent=district.community_a)
    ServiceArea.objects.create(unit=p1, name="幸福里小区", community=district.community_a, grid=district.grid_a)
    ServiceArea.objects.create(unit=p1, name="和平家园", community=district.community_b)
    ServiceArea.objects.create(unit=p2, name="和园", community=district.community_a, grid=district.grid_a2)
    users = {
        "p1": make_user("wuye_1", p1, Role.HANDLER),
        "p2": make_user("wuye_2", p2, Role.HANDLER),
        "cb": make_user("handler_community_b", district.community_b, Role.HANDLER),
        "ca": district.user("handler_community_a"),
        "sb": district.user("handler_b"),
        "grid": district.user("handler_grid_a"),
    }
    dispatcher = district.user("dispatcher")
    orders = {
        "p1_in_a": work_order_assign(order=log_call(**A1), actor=dispatcher, unit=p1),
        "p1_in_b": work_order_assign(order=log_call(**B1), actor=dispatcher, unit=p1),
        "p2_in_a": work_order_assign(order=log_call(**A1), actor=dispatcher, unit=p2),
        "street_b": work_order_assign(order=log_call(**B1), actor=dispatcher, unit=district.street_b),
    }
    return users, orders


@pytest.mark.parametrize(
    "who, expected",
    [
        ("p1", {"p1_in_a", "p1_in_b"}),
        ("p2", {"p2_in_a"}),
        # community A: the companies under it in the tree (all their orders)
        ("ca", {"p1_in_a", "p1_in_b", "p2_in_a"}),
        # community B: only the serving company's orders located in B, never the street's
        ("cb", {"p1_in_b"}),
        ("sb", {"p1_in_b", "street_b"}),
        ("grid", set()),
    ],
)
def test_who_sees_which_property_order(world, who, expected):
    users, orders = world
    user = users[who]
    names = {pk: name for name, o in orders.items() for pk in [o.pk]}
    listed = {names[pk] for pk in orders_visible_to(user).values_list("pk", flat=True) if pk in names}
    assert listed == expected
    for name, order in orders.items():
        assert order_visible_to(user, order) == (name in expected), name


def test_a_company_that_stops_serving_a_community_leaves_its_view(world, district):
    users, orders = world
    ServiceArea.objects.filter(community=district.community_b).delete()
    user = type(users["cb"]).objects.get(pk=users["cb"].pk)  # a new request: nothing cached
    assert not order_visible_to(user, orders["p1_in_b"])


def test_a_property_company_never_learns_who_called_even_on_its_own_order(world, client):
    """Residents complain to the hotline about their property company: its staff see the
    caller masked and the text redacted, and the audited reveal is refused to them."""
    from workorders.errors import NotAllowed
    from workorders.models import Event
    from workorders.privacy import caller_for, order_text
    from workorders.services import work_order_reveal_caller

    users, orders = world
    order = orders["p1_in_a"]
    company = users["p1"]
    shown = caller_for(company, order)
    assert shown["masked"] and order.caller_phone not in str(shown)
    with pytest.raises(NotAllowed):
        work_order_reveal_caller(order=order, actor=company)
    assert not Event.objects.filter(order=order, kind="reveal_caller").exists()
    planted = f"我是{order.caller_name}，电话{order.caller_phone}"
    assert order.caller_phone not in order_text(company, order, planted)
    # The community serving the same place still may (an audited reveal).
    assert work_order_reveal_caller(order=order, actor=users["ca"])["phone"] == order.caller_phone
