"""One definition of who may see an order: what a user may act on (desk actions
included) they may open in the page and the API; grid workers read their own reports;
the merge endpoint does not tell an out-of-scope number from a nonexistent one."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from web.tests.test_privacy_crawl import ROLES
from workorders.errors import NotAllowed
from workorders.models import WorkOrder
from workorders.scope import orders_visible_to
from workorders.tests.planted import plant
from workorders.transitions import DESK, TRANSITIONS
from workorders.workflow import authorize


@pytest.fixture
def planted(district):
    return plant(district)


def _api(user) -> APIClient:
    from api.tokens import api_token_create

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    return client


@pytest.mark.parametrize("username", ROLES)
def test_every_desk_action_a_user_may_take_is_on_an_order_they_can_open(client, district, planted, username):
    user = district.user(username)
    client.force_login(user)
    api = _api(user)
    visible = set(orders_visible_to(user).values_list("pk", flat=True))
    for order in WorkOrder.objects.select_related("current_unit", "lead_unit", "street"):
        opens = client.get(f"/orders/{order.number}/").status_code == 200
        assert opens == (order.pk in visible), order.number
        assert (api.get(f"/api/v1/orders/{order.number}").status_code == 200) == opens, order.number
        for kind, rule in TRANSITIONS.items():
            if rule.scope != DESK:
                continue
            try:
                authorize(rule, user, order)
            except NotAllowed:
                continue
            assert opens, f"{username} may {kind} {order.number} but gets 404 for it"


def test_a_street_supervisor_urges_a_department_order_in_the_street_and_can_open_it(district, planted):
    """The case that differed: desk scope covered the located street, the lists did not."""
    from workorders.services import work_order_urge

    order = planted.orders["dept_a"]
    supervisor = district.user("supervisor_a")
    work_order_urge(order=order, actor=supervisor, note="请加快")
    assert _api(supervisor).get(f"/api/v1/orders/{order.number}").status_code == 200


def test_a_grid_worker_reads_their_own_reports_and_not_the_orders_at_their_grid(district, planted):
    worker = district.user("grid_worker_a")
    api = _api(worker)
    at_grid = planted.orders["grid"]
    assert at_grid.current_unit_id == district.grid_a.pk
    assert api.get(f"/api/v1/orders/{at_grid.number}").status_code == 404
    assert api.get(f"/api/v1/orders/{at_grid.number}/events").status_code == 404
    assert api.get(f"/api/v1/orders/{planted.orders['patrol'].number}").status_code == 200
    listed = {row["number"] for row in api.get("/api/v1/orders").json()["results"]}
    assert listed == {planted.orders["patrol"].number}
    # The grid's own handler still works it.
    assert _api(district.user("handler_grid_a")).get(f"/api/v1/orders/{at_grid.number}").status_code == 200


def test_merge_answers_an_out_of_scope_number_exactly_like_a_nonexistent_one(district, planted):
    api = _api(district.user("handler_a"))
    mine = planted.orders["secret_a"].number
    elsewhere = planted.orders["secret_b"].number  # street B: not handler_a's
    out_of_scope = api.post(f"/api/v1/orders/{mine}/merge", {"into": elsewhere}, format="json")
    nonexistent = api.post(f"/api/v1/orders/{mine}/merge", {"into": "20991231999999"}, format="json")
    assert out_of_scope.status_code == nonexistent.status_code == 400
    assert out_of_scope.json() == nonexistent.json()
