"""The orders behind a rate are read by their keys, the period's rows first (issue 14,
item 2): what a month's satisfaction or on-time list costs follows the month, not the
history of the district.

The sets are the same as ``pk IN (the counted rows' order ids)`` for every rate and part
(any database); on PostgreSQL, with 20,000 closed orders behind one running order and
5,000 of them called back this week, the list reads no order outside the set (no scan
of the orders table, no walk of its key), and for the center the count of counted
callbacks reads the callbacks alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from dashboards import selectors as ds
from web.tests.test_scope_figures import planted  # noqa: F401 (fixture)
from workorders.models import WorkOrder
from workorders.tests.test_running_indexes import history, plans_of, reads_history  # noqa: F401 (fixtures)

RATES = ("response", "on_time", "resolution", "satisfaction", "reopen", "direct_answer", "kb_answer")


def test_the_orders_behind_each_rate_are_the_orders_of_its_counted_rows(district, planted):  # noqa: F811
    now = timezone.now()
    scopes = [ds.Scope(now - timedelta(days=30), now + timedelta(days=1), unit) for unit in (None, district.street_a)]
    nonempty = 0
    for scope in scopes:
        for figure in RATES:
            for part in ("num", "all"):
                rows = ds.figure_rows(scope, figure, part, now=now)
                expected = set(WorkOrder.objects.filter(pk__in=rows.values("order_id")).values_list("pk", flat=True))
                listed = ds.orders_behind(scope, figure, part, now=now)
                assert set(listed.values_list("pk", flat=True)) == expected, (scope.unit, figure, part)
                # It composes like any queryset: counted, narrowed, used as a subquery.
                assert listed.count() == len(expected)
                assert set(WorkOrder.objects.filter(pk__in=listed.values("pk")).values_list("pk", flat=True)) == (
                    expected
                )
                nonempty += bool(expected)
    assert nonempty >= 8  # the planted district has deadlines, callbacks and calls in the month


CALLED_BACK = 5_000


@pytest.fixture
def called_back(history):  # noqa: F811 (the imported fixture)
    """A quarter of the 20,000 copied orders closed by a satisfied callback yesterday."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO workorders_event (order_id, seq, kind, actor_role, from_status, to_status, note, payload, "
            "created_at) SELECT id, 100, 'callback_close', '', 'callback', 'closed', '', "
            """'{"resolution": "solved", "satisfaction": "satisfied"}', now() - interval '1 day' """
            "FROM workorders_workorder WHERE number LIKE %s AND id %% 4 = 0",
            ["H%"],
        )
        assert cur.rowcount == CALLED_BACK
        cur.execute("ANALYZE workorders_event")
        cur.execute("ANALYZE workorders_workorder")
    return history


@pytest.mark.postgres
@override_settings(HOTLINE_DASHBOARD_CACHE_SECONDS=0)
def test_a_rates_list_reads_its_orders_by_key_not_the_history(called_back, district):
    client = Client()
    client.force_login(district.user("supervisor"))
    url = "/orders/?figure=satisfaction&part=all"
    response = client.get(url)
    assert response.context["counted"] == CALLED_BACK and response.context["total"] == CALLED_BACK
    plans = plans_of(client, url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    # The page (web.order_list's keyed read: the rows' keys, the orders by key, sorted
    # by deadline, both counts)
    listing = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("WITH")]
    assert len(listing) == 1, [q["sql"] for q in ctx.captured_queries]
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + listing[0])
        plans.append("\n".join(row[0] for row in cur.fetchall()))
        cur.execute("EXPLAIN (VERBOSE) " + listing[0])
        verbose = [row[0] for row in cur.fetchall()]
    assert "Index Cond: (id = ANY (k.ids))" in plans[-1], plans[-1]
    # The orders are sorted (and counted) without carrying the array of keys: rows that
    # each carried it (72,000 of them, each with the whole array) spilled gigabytes.
    assert "WindowAgg" not in plans[-1], plans[-1]
    sort = next(i for i, line in enumerate(verbose) if "->  Sort" in line)
    assert "Output:" in verbose[sort + 1] and "ids" not in verbose[sort + 1], "\n".join(verbose)
    # As `pk IN (subquery)` PostgreSQL hashed the 5,000 ids and scanned all 20,001 orders.
    assert not any(reads_history(p) for p in plans), "\n\n".join(plans)


@pytest.mark.postgres
@override_settings(HOTLINE_DASHBOARD_CACHE_SECONDS=0)
def test_the_centers_count_of_counted_callbacks_reads_the_callbacks_alone(called_back, district):
    client = Client()
    client.force_login(district.user("supervisor"))
    url = "/orders/?figure=satisfaction&part=num"
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.context["counted"] == CALLED_BACK
    # Counted with the page, in the CTE that gathers the callbacks' order ids from the
    # callbacks alone; no second count.
    (listing,) = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("WITH")]
    keys = listing[: listing.index(" r) SELECT ")]
    assert "workorders_event" in keys and "workorders_workorder" not in keys, listing
    counts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT COUNT(*) AS "__count"')]
    assert not counts, counts
    # Narrowed (a category), the callbacks are matched against the listed orders.
    narrowed = client.get(url + f"&category={called_back.category_id}")
    assert narrowed.context["counted"] == CALLED_BACK
    other = client.get(url + "&status=in_progress")
    assert other.context["counted"] == 0 and other.context["total"] == 0


@pytest.mark.postgres
def test_the_reads_of_a_rates_list_are_covered_by_their_indexes(db):
    """dashboards 0006: a period's callbacks' and stage deadlines' order ids, and the
    orders' sort keys by key, are in the indexes that read them (index-only scans on a
    vacuumed table; at a million orders, with the single query, the listing's SQL went
    from ~250–300 to ~140–185 ms at load 5: BENCHMARKS.md, sixth pass)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
            "('event_kind_created', 'dash_deadline_stage_due', 'workorder_key_sort')"
        )
        defs = dict(cur.fetchall())
    assert defs["event_kind_created"].endswith("(kind, created_at) INCLUDE (order_id)"), defs
    assert defs["dash_deadline_stage_due"].endswith("(stage, due_at, state, unit_id) INCLUDE (order_id)"), defs
    assert defs["workorder_key_sort"].endswith("(id) INCLUDE (due_at, created_at)"), defs
