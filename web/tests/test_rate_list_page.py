"""The orders behind a rate, as the supervisor opens them from the dashboard (issue 14,
item 2): a rate's whole set is read from its counted rows in one query that gives the
page, the count of orders and the count of rows (web.order_list._keyed_page), instead
of a materialized copy of every order of the set, a window over the copy and a second
read of the rows for their count.

What the page shows does not change: the same orders in the same order on every page,
the same count of orders and of counted rows, against the read it replaces
(_materialized_page and a COUNT of the rows), for every rate and part, for the
district and for a street; a narrowed list (a filter) still goes through the old read."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from dashboards import selectors as ds
from web import order_list
from web.tests.test_order_lists import _numbers, _walk, many  # noqa: F401 (fixture)
from web.tests.test_scope_figures import planted  # noqa: F401 (fixture)
from workorders.models import WorkOrder

RATES = ("response", "on_time", "resolution", "satisfaction", "reopen", "direct_answer", "kb_answer")


def _old_read(scope: ds.Scope, figure: str, part: str, number: int, now) -> tuple[list[int], int, int]:
    """The page, the orders' count and the rows' count as the list read them before."""
    qs = ds.orders_behind(scope, figure, part, now=now)
    ids, total = order_list._materialized_page(qs, number)
    return ids, total, ds.figure_rows(scope, figure, part, now=now).count()


def test_the_keyed_page_is_the_old_page_for_every_rate_and_part(district, planted):  # noqa: F811
    now = timezone.now()
    nonempty = 0
    for unit in (None, district.street_a, district.street_b):
        scope = ds.Scope(now - timedelta(days=30), now + timedelta(days=1), unit)
        for figure in RATES:
            for part in ("num", "all"):
                keys = ds.figure_rows(scope, figure, part, now=now)
                new = order_list._keyed_page(keys, 1)
                assert new == _old_read(scope, figure, part, 1, now), (unit, figure, part)
                nonempty += bool(new[0])
    assert nonempty >= 10


@pytest.fixture
def varied(many):  # noqa: F811 (the imported fixture)
    """The 55 orders of ``many`` with a third of them without a deadline (as closed
    orders are), so the page sorts both kinds: deadlines first, then by receipt."""
    for i, order in enumerate(many):
        if i % 3 == 0:
            WorkOrder.objects.filter(pk=order.pk).update(due_at=None)
    return many


def test_every_page_of_a_rates_list_holds_the_old_pages_orders(login, varied):
    """Walked through the view by its next links: the same orders in the same order as
    the old read's pages, and the same counts on each."""
    now = timezone.now()
    client = login("supervisor")
    url = "/orders/?figure=direct_answer&part=all"  # a call logged for each of the 55
    pages = _walk(client, url)
    assert [len(p) for p in pages] == [order_list.PAGE_SIZE, 5]
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    start = datetime.combine(today - timedelta(days=29), time.min, tzinfo=tz)
    scope = ds.Scope(start, datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz))
    numbers = dict(WorkOrder.objects.values_list("pk", "number"))
    for number, shown in enumerate(pages, start=1):
        ids, total, counted = _old_read(scope, "direct_answer", "all", number, now)
        assert shown == [numbers[pk] for pk in ids]
        response = client.get(f"{url}&page={number}")
        assert response.context["total"] == total == len(varied)
        assert response.context["counted"] == counted
    # Deadlines first (nearest first), then the orders without one by receipt.
    pks = [o.pk for o in varied]
    due = list(
        WorkOrder.objects.filter(pk__in=pks, due_at__isnull=False)
        .order_by("due_at", "created_at")
        .values_list("number", flat=True)
    )
    undue = list(
        WorkOrder.objects.filter(pk__in=pks, due_at__isnull=True)
        .order_by("created_at")
        .values_list("number", flat=True)
    )
    assert [n for p in pages for n in p] == due + undue
    # Past the last page: the last page, as before.
    assert _numbers(client.get(f"{url}&page=9").content.decode()) == pages[-1]


@override_settings(HOTLINE_DASHBOARD_CACHE_SECONDS=0)
def test_a_rates_whole_list_is_read_with_both_counts_in_one_query(login, varied):
    """No materialized copy of the orders and no second read of the counted rows for
    their count (the old page sent both)."""
    client = login("supervisor")
    url = "/orders/?figure=direct_answer&part=all"
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.context["total"] == len(varied) and response.context["counted"] == len(varied)
    sqls = [q["sql"] for q in ctx.captured_queries]
    reads = [sql for sql in sqls if "workorders_event" in sql and "log_call" in sql]
    # One read of the rows for the page and both counts, one for the page's own rows'
    # shares ("counted n times", a handful of ids).
    assert len(reads) == 2, reads
    assert reads[0].startswith("WITH k ")
    assert not any(sql.startswith("SELECT COUNT(*)") for sql in reads), reads
    assert not any('AS MATERIALIZED (SELECT "workorders_workorder"' in sql for sql in sqls)


@override_settings(HOTLINE_DASHBOARD_CACHE_SECONDS=0)
def test_a_narrowed_rates_list_still_reads_its_set_on_its_own(login, district, varied):
    """A filter can make other conditions look better to PostgreSQL than the keys: that
    list keeps the set behind its materialized CTE and counts the rows against it."""
    client = login("supervisor")
    url = f"/orders/?figure=direct_answer&part=all&category={district.cat_territorial.pk}"
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.context["total"] == len(varied) and response.context["counted"] == len(varied)
    assert any('AS MATERIALIZED (SELECT "workorders_workorder"' in q["sql"] for q in ctx.captured_queries)
    assert not any(q["sql"].startswith("WITH k ") for q in ctx.captured_queries)


def test_the_other_lists_rows_carry_no_count_the_template_would_look_for(login, district, varied):
    """A row's "counted n times" reads ``counted``; on a list that counts orders it is
    0 on every row, so the template never falls back to listing the order's attributes."""
    factory = RequestFactory()
    from web.views import dashboard

    request = factory.get("/orders/?figure=volume")
    request.user = district.user("supervisor")
    qs, figure, part, scope, ctx = dashboard.orders_asked(request.user, request.GET)
    page = order_list.order_page(request, qs)
    assert dashboard._counted(scope, qs, figure, part, page.orders, narrowed=False) == {}
    assert [o.counted for o in page.orders] == [0] * len(page.orders) and page.orders
