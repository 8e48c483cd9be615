"""Lists over the whole history read an index range, not every order (issue 14, item 2;
migration workorders 0017).

PostgreSQL, with 20,000 closed orders behind one running order (the fixture of
test_running_indexes): the order filter page's first page by nearest deadline, a
campaign's scope, the dashboard's 楼长上报 count, and the orders behind the overdue
figure."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from workorders.models import WorkOrder
from workorders.tests.test_running_indexes import history, plans_of, reads_history  # noqa: F401 (fixture)

pytestmark = pytest.mark.postgres


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cur.fetchall())


@pytest.fixture
def closed_history(history):  # noqa: F811 (the imported fixture)
    """The copied orders closed a year ago, as a district's history is."""
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE workorders_workorder SET closed_at = now() - interval '1 year' WHERE number LIKE %s", ["H%"]
        )
        cur.execute("ANALYZE workorders_workorder")
    return history


def test_the_filter_page_reads_its_first_page_from_the_deadline_index(closed_history, district):
    client = Client()
    client.force_login(district.user("dispatcher"))
    response = client.get("/campaigns/filters/")
    assert response.status_code == 200
    # The count stops at the cap: a broad filter does not count the whole history.
    assert "超过 10000 件" in response.content.decode() or "超过 10,000 件" in response.content.decode()
    plans = plans_of(client, "/campaigns/filters/")
    counts = [p for p in plans if p.startswith("Aggregate")]
    listing = [p for p in plans if not p.startswith("Aggregate")]
    # The count reads at most the cap + 1 rows (under a Limit), whatever it scans.
    assert counts and all("Limit  (" in p and "rows=10001" in p for p in counts), "\n\n".join(counts)
    assert listing and "workorder_due_created" in listing[0], "\n\n".join(plans)
    assert not any(reads_history(p) for p in listing), "\n\n".join(listing)


def test_a_campaigns_scope_reads_its_categories_running_or_recently_closed(closed_history, district):
    from campaigns.models import Campaign
    from campaigns.selectors import campaign_orders

    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="整治", owner=district.user("supervisor"), starts_on=today - timedelta(days=7), ends_on=today
    )
    campaign.categories.set([closed_history.category_id])
    qs = campaign_orders(campaign=campaign, unit_ids=None, now=timezone.now())
    assert list(qs.values_list("number", flat=True)) == [closed_history.number]
    plan = _plan(qs)
    assert "workorder_category_closed" in plan and not reads_history(plan), plan


def test_the_dashboards_captain_count_reads_the_captains_orders_only(closed_history):
    now = timezone.now()
    qs = WorkOrder.objects.filter(channel="captain", created_at__gte=now - timedelta(days=30), created_at__lt=now)
    plan = _plan(qs.values("pk"))
    assert "workorder_captain_created" in plan and not reads_history(plan), plan


def test_the_orders_behind_the_overdue_figure_are_read_by_their_ids(closed_history, district):
    from workorders.models import Deadline

    past = timezone.now() - timedelta(hours=1)
    WorkOrder.objects.filter(pk=closed_history.pk).update(due_at=past)
    Deadline.objects.create(
        order=closed_history,
        stage="handle",
        unit=district.street_a,
        limit="1d",
        opened_at=past,
        warn_at=past,
        due_at=past,
    )
    client = Client()
    client.force_login(district.user("supervisor"))
    assert closed_history.number in client.get("/orders/?figure=overdue").content.decode()
    plans = plans_of(client, "/orders/?figure=overdue")
    assert plans and not any(reads_history(p) for p in plans), "\n\n".join(plans)
    # The overdue ids are read first, not joined as a subquery the planner misjudges (at a
    # million orders it chose a scan of them all, or a walk of the deadline index).
    with CaptureQueriesContext(connection) as ctx:
        client.get("/orders/?figure=overdue")
    listing = [q["sql"] for q in ctx.captured_queries if "ORDER BY COALESCE" in q["sql"]]
    assert listing and not any("workorders_deadline" in sql for sql in listing), listing
    # …and passed as one array parameter, not one placeholder per id for Django to compile
    # and PostgreSQL to parse (4,108 of them at a million orders).
    assert all('"workorders_workorder"."id" = ANY(' in sql and '."id" IN (' not in sql for sql in listing), listing
    assert not any("workorder_due_created" in p for p in plans), "\n\n".join(plans)
