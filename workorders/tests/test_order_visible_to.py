"""The per-order scope check (workorders.scope.order_visible_to) answers exactly what the
list's condition answers, for every kind of user and every way an order comes into a
unit's view, reading only SCOPE_FIELDS of the order."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import OrgUnit, Role, ServiceArea, UnitKind
from hotline.testing import make_user
from workorders.models import WorkOrder
from workorders.scope import SCOPE_FIELDS, order_visible_to, orders_visible_to
from workorders.services import (
    work_order_add_cohandlers,
    work_order_assign,
    work_order_return,
    work_order_sign,
    work_order_sub_dispatch,
    work_order_submit,
)

pytestmark = pytest.mark.django_db

A1 = {"lat": 39.905, "lng": 116.305, "address": "幸福里小区"}
B1 = {"lat": 39.905, "lng": 116.325, "address": ""}


@pytest.fixture
def world(district, log_call):
    d = district
    dispatcher = d.user("dispatcher")
    company = OrgUnit.objects.create(code="P-1", name="幸福里物业", kind=UnitKind.PROPERTY, parent=d.community_a)
    ServiceArea.objects.create(unit=company, name="和平家园", community=d.community_b)
    users = [
        *d.users.values(),
        make_user("wuye", company, Role.HANDLER),
        get_user_model().objects.create_superuser("root", password="x"),
        get_user_model().objects.create_user("nobody", password="x"),  # no membership
    ]
    orders = [
        log_call(**A1),  # not dispatched yet
        work_order_assign(order=log_call(**A1), actor=dispatcher, unit=d.street_a),
        work_order_assign(order=log_call(**B1), actor=dispatcher, unit=d.street_b),
        work_order_assign(order=log_call(**B1), actor=dispatcher, unit=d.dept),
        work_order_assign(order=log_call(**B1), actor=dispatcher, unit=company),  # serving B from A's tree
    ]
    sub = work_order_assign(order=log_call(**A1), actor=dispatcher, unit=d.street_a)
    work_order_sign(order=sub, actor=d.user("handler_a"))
    orders.append(work_order_sub_dispatch(order=sub, actor=d.user("handler_a"), unit=d.community_a))
    co = work_order_assign(order=log_call(**A1), actor=dispatcher, unit=d.street_a)
    work_order_sign(order=co, actor=d.user("handler_a"))
    orders.append(work_order_add_cohandlers(order=co, actor=d.user("handler_a"), units=[d.dept], note="需要城管协办"))
    # Returned by street B: it sat with B once (a Deadline row of B's), now back at the desk.
    back = work_order_assign(order=log_call(**A1), actor=dispatcher, unit=d.street_b)
    orders.append(work_order_return(order=back, actor=d.user("handler_b"), reason="not_territory", note="不属于本街道"))
    orders.append(
        work_order_submit(
            channel="patrol",
            title="井盖缺失",
            description="路口井盖缺失",
            actor=d.user("grid_worker_a"),
            category=d.cat_territorial,
            **A1,
        )
    )
    return users, orders


def test_the_one_row_check_agrees_with_the_list_for_everyone(world):
    users, orders = world
    for user in [*users, AnonymousUser()]:
        listed = set(orders_visible_to(user).values_list("pk", flat=True)) if user.is_authenticated else set()
        if not user.is_authenticated:
            assert not orders_visible_to(user).exists()
        for order in orders:
            row = WorkOrder.objects.only(*SCOPE_FIELDS).get(pk=order.pk)
            assert order_visible_to(user, row) == (order.pk in listed), (user.username or "anonymous", order.number)


def test_the_check_reads_no_more_of_the_order_than_scope_fields(world, district):
    users, orders = world
    user = get_user_model().objects.get(pk=district.user("handler_a").pk)
    rows = [WorkOrder.objects.only(*SCOPE_FIELDS).get(pk=o.pk) for o in orders]
    with CaptureQueriesContext(connection) as q:
        for row in rows:
            order_visible_to(user, row)
    assert not [x["sql"] for x in q.captured_queries if 'FROM "workorders_workorder"' in x["sql"]]
