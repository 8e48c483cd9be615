"""The dashboard reads the orders overdue now once (issue 14: at a million orders each
read joined ~4,000 open deadlines with their orders) for the headline figure, the map's
grids and the street's (or community's) sub-units, and shows the same counts as each
read on its own did."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from dashboards import breakdown as bd
from dashboards import selectors as ds
from web.views.dashboard import scope_of
from workorders.tests.planted import plant

pytestmark = pytest.mark.django_db

OVERDUE_READ = 'DISTINCT "workorders_deadline"."order_id"'


@pytest.fixture
def planted(district, log_call, django_capture_on_commit_callbacks):
    """The planted orders (overdue at street A, at the department, at street B) and one
    sub-dispatched to community A three hours ago and left unsigned there."""
    from workorders import services as svc

    with django_capture_on_commit_callbacks(execute=True):
        out = plant(district)
        at = timezone.now() - timedelta(hours=3)
        order = log_call(now=at)
        svc.work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a, now=at)
        svc.work_order_sign(order=order, actor=district.user("handler_a"), now=at + timedelta(minutes=5))
        svc.work_order_sub_dispatch(
            order=order, actor=district.user("handler_a"), unit=district.community_a, now=at + timedelta(minutes=10)
        )
    return out


def page(client, user, params):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/dashboard/", params)
    assert response.status_code == 200
    reads = [q["sql"] for q in ctx.captured_queries if OVERDUE_READ in q["sql"]]
    scope, _ = scope_of(user, QueryDict(mutable=True) | params)
    return response.context, reads, scope


@override_settings(HOTLINE_DASHBOARD_CACHE_SECONDS=0)
@pytest.mark.parametrize(
    ("username", "unit", "field"),
    [("supervisor", "street_a", "community"), ("supervisor_a", "community_a", "grid"), ("supervisor", None, None)],
)
def test_the_dashboard_reads_the_overdue_orders_once(client, district, planted, username, unit, field):
    params = {"measure": "overdue"}
    if unit:
        params["unit"] = str(getattr(district, unit).pk)
    ctx, reads, scope = page(client, district.user(username), params)
    assert len(reads) == 1, reads
    now = ctx["computed_at"]
    live = ds.summary(scope, now=now)
    figures = ctx["figures"]
    assert figures["overdue"].numerator == live["overdue"].numerator > 0
    grids = ds.grid_figures(scope, now=now)
    shown = {path["grid"].pk: path["value"] for path in ctx["map"]["paths"]}
    assert shown == {pk: grids.get(pk, {}).get("overdue", 0) for pk in shown} and any(shown.values())
    if field is None:
        assert ctx["sub"] is None
        return
    # The sub-units' overdue as read on their own (the reference).
    alone = bd.sub_unit_ranking(scope, volume=figures["volume"].numerator, now=now)
    assert ctx["sub"]["field"] == field
    got = {row["unit"].pk: row["overdue"] for row in ctx["sub"]["rows"]}
    assert got == {row["unit"].pk: row["overdue"] for row in alone["rows"]} and any(got.values())


def reads_of(ctx, text):
    return [q["sql"] for q in ctx.captured_queries if text in q["sql"]]


@override_settings(HOTLINE_DASHBOARD_CACHE_SECONDS=0)
@pytest.mark.parametrize("params", [{}, {"start": "WEEK"}])
def test_the_dashboard_reads_the_unit_subtree_and_the_roll_up_state_once(client, district, planted, params):
    """A street's page: its subtree (the units whose orders count) is read once for
    every figure, every piece of the period and the earlier periods compared, not at
    each figure's every query; the board reads the roll-up's state once for all its
    figures. The figures stay those of the selectors."""
    from dashboards.rollup import rollup_rebuild

    rollup_rebuild(now=timezone.now())
    params = {**params, "unit": str(district.street_a.pk)}
    if "start" in params:
        params["start"] = (timezone.localdate() - timedelta(days=6)).isoformat()
    client.force_login(district.user("supervisor"))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/dashboard/", params)
    assert response.status_code == 200
    subtree = [sql for sql in reads_of(ctx, '"grids_orgunit"."path"') if "LIKE" in sql]
    assert len(subtree) == 1, subtree
    # The board once; beside it the category rates, the two comparisons' summaries and
    # the 三满意 aspects each ask once.
    assert len(reads_of(ctx, 'FROM "dashboards_rollupstate"')) <= 5
    scope, _ = scope_of(district.user("supervisor"), QueryDict(mutable=True) | params)
    live = ds.summary(scope, now=response.context["computed_at"])
    for key, fig in live.items():
        shown = response.context["figures"][key]
        assert (shown.numerator, shown.denominator) == (fig.numerator, fig.denominator), key
