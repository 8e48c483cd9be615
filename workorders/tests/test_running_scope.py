"""The workbench's scope of running orders (workorders.scope.running_orders_visible_to):
the same rows as the whole scope without the finished orders, for every kind of user,
read through the units' indexes instead of a filter over every running order (issue 14)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hotline.testing import USERNAMES, copy_order_rows
from workorders.choices import TERMINAL_STATUSES
from workorders.models import CoHandling, WorkOrder
from workorders.scope import orders_visible_to, running_orders_visible_to
from workorders.services import work_order_assign, work_order_sign

USERS = USERNAMES  # every user of the test district


@pytest.fixture
def orders(district, log_call):
    """Running and finished orders in every unit, some co-handled by another street's units."""
    dispatcher = district.user("dispatcher")
    made = []
    for unit in (district.street_a, district.street_b, district.community_a, district.community_a, district.dept):
        for _i in range(2):
            made.append(work_order_assign(order=log_call(), actor=dispatcher, unit=unit))
    # Two of community A's passed down to its grid (as a sub-dispatch leaves them).
    WorkOrder.objects.filter(pk__in=[made[6].pk, made[7].pk]).update(current_unit=district.grid_a)
    made.append(log_call())  # accepted, not routed
    # Co-handled by street B and community A (one running, one to be closed).
    for order in made[:2]:
        CoHandling.objects.create(order=order, unit=district.street_b, asked_at=timezone.now())
        CoHandling.objects.create(order=order, unit=district.community_a, asked_at=timezone.now())
    # Finished orders of the same units: closed, rejected, merged.
    for order, status in zip(made[1::2], ["closed", "rejected", "merged"], strict=False):
        parent = made[0] if status == "merged" else None
        WorkOrder.objects.filter(pk=order.pk).update(status=status, parent=parent)
    return made


@pytest.mark.django_db
@pytest.mark.parametrize("who", USERS)
def test_running_scope_lists_exactly_the_running_orders_of_the_whole_scope(district, orders, who):
    user = district.user(who)
    expected = set(orders_visible_to(user).exclude(status__in=TERMINAL_STATUSES).values_list("pk", flat=True))
    assert set(running_orders_visible_to(user).values_list("pk", flat=True)) == expected
    assert expected or who in ("grid_worker_a",)  # the fixture gives every unit something to see


@pytest.mark.django_db
def test_a_co_handling_asked_a_moment_ago_shows_on_the_next_read(district, orders, log_call):
    user = district.user("handler_b")
    order = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.dept)
    assert order.pk not in set(running_orders_visible_to(user).values_list("pk", flat=True))
    CoHandling.objects.create(order=order, unit=district.street_b, asked_at=timezone.now())
    assert order.pk in set(running_orders_visible_to(user).values_list("pk", flat=True))


def _scoped(captured) -> list[str]:
    """The queries that apply the user's scope to the orders (the page and its counts)."""
    return [q["sql"] for q in captured if '"workorders_workorder"."current_unit_id" IN' in q["sql"]]


@pytest.mark.django_db
def test_the_workbench_asks_for_running_orders_without_a_correlated_co_handling_test(client, district, orders):
    """The co-handling part is an id list and the statuses an IN list: each arm of the
    scope's OR is then an index range (the EXISTS made PostgreSQL test every running order)."""
    client.force_login(district.user("handler_community_a"))
    client.get("/unit/")
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/unit/").content.decode()
    scoped = _scoped(ctx.captured_queries)
    assert len(scoped) >= 2  # the page and the tabs' counts
    for sql in scoped:
        assert "workorders_cohandling" not in sql, sql
        assert 'NOT ("workorders_workorder"."status" IN' not in sql and '"workorders_workorder"."status" IN' in sql, sql
    # and the community still sees the running order it co-handles
    assert orders[0].number in body and orders[1].number not in body


RUNNING_ELSEWHERE = 4_000


@pytest.mark.postgres
def test_a_communitys_workbench_does_not_read_the_districts_other_running_orders(district, log_call):
    """With 4,000 running orders of another street, the community's page and counts read
    its own orders (EXPLAIN ANALYZE: no row of the others fetched and thrown away)."""
    dispatcher = district.user("dispatcher")
    mine = work_order_sign(
        order=work_order_assign(order=log_call(), actor=dispatcher, unit=district.community_a),
        actor=district.user("handler_community_a"),
    )
    other = work_order_assign(order=log_call(), actor=dispatcher, unit=district.street_b)
    copy_order_rows(other.pk, RUNNING_ELSEWHERE, "R")
    client = Client()
    client.force_login(district.user("handler_community_a"))
    client.get("/unit/")
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/unit/").content.decode()
    assert mine.number in body and other.number not in body
    scoped = _scoped(ctx.captured_queries)
    assert len(scoped) >= 2
    for sql in scoped:
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cur.fetchone()[0][0]["Plan"]
        assert _rows_thrown_away(plan) < 100, (sql, plan)


def _rows_thrown_away(node: dict) -> int:
    """Rows any node of a plan read and dropped (filters, rechecks), summed over the tree."""
    own = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
    return own + sum(_rows_thrown_away(child) for child in node.get("Plans", []))
