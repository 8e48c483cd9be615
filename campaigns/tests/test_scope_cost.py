"""A campaign's scope reads its categories' candidate orders first (issue 14, item 2).

The scope is the same set as the plain conditions (its categories, a major one standing
for its minor ones; not closed before it began; created before its end; not rejected
or merged; counting for the row's units), for every row, part and kind of campaign;
on PostgreSQL the board's aggregate reads the candidates' keys through
workorder_category_closed and looks them up by key, so no bitmap of the streets' whole
history (their lead-unit and street indexes) is built."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import selectors as cs
from campaigns.services import campaign_create
from grids.selectors import unit_subtree_ids
from web.tests.test_scope_figures import planted  # noqa: F401 (fixture)
from workorders.choices import TERMINAL_STATUSES
from workorders.models import WorkOrder
from workorders.scope import territory_q
from workorders.tests.test_growth_lists_indexes import closed_history  # noqa: F401 (fixture)
from workorders.tests.test_running_indexes import history, reads_history  # noqa: F401 (fixture)


def _reference(campaign, unit_ids, now) -> set[int]:
    """The scope by its definition, as plain conditions."""
    tz = timezone.get_current_timezone()
    start = timezone.datetime.combine(campaign.starts_on, timezone.datetime.min.time(), tzinfo=tz)
    end = timezone.datetime.combine(campaign.ends_on + timedelta(days=1), timezone.datetime.min.time(), tzinfo=tz)
    qs = WorkOrder.objects.filter(created_at__lt=end).exclude(status__in=("rejected", "merged"))
    qs = qs.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))
    cats = list(campaign.categories.all())
    if cats:
        qs = qs.filter(Q(category__in=cats) | Q(category__parent__in=cats))
    if unit_ids is not None:
        qs = qs.filter(territory_q(unit_ids))
    return set(qs.values_list("pk", flat=True))


def test_the_scope_is_the_plain_conditions_for_every_row_and_part(district, planted):  # noqa: F811
    now = timezone.now()
    today = timezone.localdate()
    orders = list(WorkOrder.objects.order_by("pk"))
    assert len(orders) >= 6
    major = district.cat_territorial.parent
    # Spread the planted orders over the categories, and close two of them long ago.
    for i, order in enumerate(orders):
        category = (district.cat_territorial, district.cat_department, major)[i % 3]
        WorkOrder.objects.filter(pk=order.pk).update(category=category)
    WorkOrder.objects.filter(pk__in=[orders[0].pk, orders[3].pk]).update(
        status="closed", closed_at=now - timedelta(days=60)
    )
    owner = district.user("supervisor")
    campaigns = [
        campaign_create(
            name="大类",
            owner=owner,
            starts_on=today - timedelta(days=5),
            ends_on=today + timedelta(days=5),
            units=[district.street_a, district.street_b],
            categories=[major],
        ),
        campaign_create(
            name="小类",
            owner=owner,
            starts_on=today - timedelta(days=90),
            ends_on=today,
            units=[district.street_a],
            categories=[district.cat_department],
        ),
        campaign_create(
            name="全区", owner=owner, starts_on=today - timedelta(days=5), ends_on=today, categories=[major]
        ),
    ]
    checked = 0
    for campaign in campaigns:
        board = cs.campaign_board(campaign=campaign, user=owner, now=now)
        units = [r.unit for r in board["rows"]]
        for row in [*board["rows"], board["total"]]:
            if row.unit is not None:
                ids = unit_subtree_ids(row.unit)
            elif units:
                ids = set().union(*(unit_subtree_ids(u) for u in units))
            else:
                ids = None
            expected = _reference(campaign, ids, now)
            listed = cs.campaign_part_orders(
                campaign=campaign, user=owner, unit_id=row.unit.pk if row.unit else None, part="scope", now=now
            )
            assert set(listed.values_list("pk", flat=True)) == expected, (campaign.name, row.unit)
            assert row.scope == len(expected)
            running = {o.pk for o in WorkOrder.objects.filter(pk__in=expected).exclude(status__in=TERMINAL_STATUSES)}
            assert row.open == len(running)
            checked += bool(expected)
    assert checked >= 3


@pytest.mark.postgres
def test_the_boards_aggregate_reads_the_candidates_by_key(closed_history, district):  # noqa: F811
    today = timezone.localdate()
    supervisor = district.user("supervisor")
    campaign = campaign_create(
        name="整治",
        owner=supervisor,
        starts_on=today - timedelta(days=7),
        ends_on=today,
        units=[district.street_a],
        categories=[closed_history.category],
    )
    with CaptureQueriesContext(connection) as ctx:
        board = cs.campaign_board(campaign=campaign, user=supervisor)
    assert board["total"].scope == 1 and board["total"].open == 1
    (aggregate,) = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT COUNT("workorders_workorder')]
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + aggregate)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "InitPlan" in plan and "workorder_category_closed" in plan, plan
    assert "Index Cond: (id = ANY (" in plan, plan
    assert not reads_history(plan), plan
    for index in ("workorders_workorder_lead_unit_id", "workorders_workorder_street_id"):
        assert index not in plan, plan
