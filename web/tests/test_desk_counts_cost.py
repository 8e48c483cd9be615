"""The desk's tab counts and its navigation counter read what waits at the desk, not
every order in progress of the district (issue 14): an order in progress waits there
only with a pending extension request, and those are few."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dispatch.selectors import desk_counts
from hotline.testing import copy_order_rows
from web.nav_counts import desk_waiting
from workorders.services import work_order_assign, work_order_request_extension, work_order_sign

IN_PROGRESS_ELSEWHERE = 4_000


def _thrown_away(node: dict) -> int:
    own = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
    own += node.get("Rows Removed by Join Filter", 0)
    return own + sum(_thrown_away(child) for child in node.get("Plans", []))


@pytest.fixture
def waiting(district, log_call):
    """One order of each desk queue but returns, and an in-progress order with no request."""
    from datetime import timedelta

    dispatcher, handler = district.user("dispatcher"), district.user("handler_a")
    unrouted = log_call()
    busy = work_order_sign(
        order=work_order_assign(order=log_call(), actor=dispatcher, unit=district.street_a), actor=handler
    )
    asking = work_order_sign(
        order=work_order_assign(order=log_call(), actor=dispatcher, unit=district.street_a), actor=handler
    )
    due = asking.deadlines.get(stage="handle", state="open").due_at
    work_order_request_extension(order=asking, actor=handler, proposed_due=due + timedelta(days=2), reason="等材料")
    return unrouted, busy, asking


@pytest.mark.django_db
def test_the_counter_is_the_sum_of_the_desks_tabs(district, waiting):
    cache.clear()
    user = district.user("dispatcher")
    assert desk_counts(user=user) == {"unrouted": 1, "returned": 0, "extensions": 1, "replies": 0}
    assert desk_waiting(user) == 2
    assert desk_waiting(district.user("handler_b")) == 0  # scoped: street B sees none of street A's


@pytest.mark.postgres
def test_the_desks_counts_do_not_read_the_orders_in_progress(district, waiting, client):
    unrouted, busy, asking = waiting
    copy_order_rows(busy.pk, IN_PROGRESS_ELSEWHERE, "P")
    cache.clear()
    client.force_login(district.user("dispatcher"))
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(reverse("web:desk")).content.decode()
    assert unrouted.number in body
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and "workorders_workorder" in q["sql"]]
    assert len(counts) >= 3  # the tabs' counts, twice (the page, the navigation counter)
    for sql in counts:
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cur.fetchone()[0][0]["Plan"]
        assert _thrown_away(plan) < 100, (sql, plan)
