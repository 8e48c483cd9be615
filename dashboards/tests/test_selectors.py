from datetime import timedelta

import pytest
from django.utils import timezone

from dashboards import rolled
from dashboards import selectors as ds
from workorders.services import (
    work_order_approve,
    work_order_assign,
    work_order_callback,
    work_order_reply,
    work_order_sign,
)


@pytest.fixture
def period():
    now = timezone.now()
    return now - timedelta(days=7), now + timedelta(days=30)


def run_to_callback(district, order, *, sign_at=None):
    order = work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    order = work_order_sign(order=order, actor=district.user("handler_a"), now=sign_at)
    order = work_order_reply(order=order, actor=district.user("handler_a"), reply="已处理。", now=sign_at)
    return work_order_approve(order=order, actor=district.user("dispatcher"), now=sign_at)


def test_three_rates_count_numerator_and_denominator(district, log_call, period):
    late = timezone.now() + timedelta(hours=3)  # sign limit is 30m: this one is late
    a = run_to_callback(district, log_call())
    b = run_to_callback(district, log_call(), sign_at=late)
    work_order_callback(
        order=a, actor=district.user("operator"), contacted=True, resolution="solved", satisfaction="satisfied"
    )
    work_order_callback(
        order=b,
        actor=district.user("operator"),
        contacted=True,
        resolution="unsolved",
        satisfaction="unsatisfied",
        now=late,
    )
    figures = ds.summary(ds.Scope(*period), now=late + timedelta(minutes=1))
    assert (figures["response"].numerator, figures["response"].denominator) == (1, 2)
    assert (figures["resolution"].numerator, figures["resolution"].denominator) == (1, 2)
    assert (figures["satisfaction"].numerator, figures["satisfaction"].denominator) == (1, 2)
    assert (figures["reopen"].numerator, figures["reopen"].denominator) == (1, 2)
    assert figures["volume"].numerator == 2
    assert figures["satisfaction"].percent == "50.0%"
    # b was reopened: its handle deadline is open again, not yet due → not counted
    assert figures["handling"].numerator == 2 and figures["handling"].extra["avg"] is not None


def test_scope_of_a_street_excludes_the_other_street(district, log_call, period):
    order = log_call()
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    assert ds.summary(ds.Scope(*period, unit=district.street_a))["volume"].numerator == 1
    assert ds.summary(ds.Scope(*period, unit=district.street_b))["volume"].numerator == 0


def test_overdue_counts_open_deadlines_past_due_and_drills_down(district, log_call, period):
    order = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    later = timezone.now() + timedelta(hours=1)
    assert ds.summary(ds.Scope(*period), now=later)["overdue"].numerator == 1
    assert list(ds.orders_behind(ds.Scope(*period), "overdue", now=later)) == [order]
    assert ds.summary(ds.Scope(*period))["overdue"].numerator == 0


def test_ranking_trend_map_and_hotspots(district, log_call, period):
    for _ in range(3):
        work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    scope = ds.Scope(*period)
    ranking = ds.unit_ranking(scope)
    assert {r["unit"].name: r["volume"] for r in ranking}["甲街道"] == 3
    assert sum(t["received"] for t in ds.trend(scope, bucket="week")) == 3
    assert ds.grid_figures(scope)[district.grid_a.pk]["volume"] == 3
    spots = ds.hotspots(scope)
    assert spots[0]["grid_id"] == district.grid_a.pk and spots[0]["n"] == 3
    assert ds.hotspots(scope, min_count=4) == []
    assert ds.category_volumes(scope)[0]["n"] == 3


def test_board_is_cached_briefly_and_the_cache_can_be_switched_off(district, log_call, period, settings):
    scope = ds.Scope(*period)
    log_call()
    assert rolled.board_cached(scope)["summary"]["volume"].numerator == 1
    log_call()
    assert rolled.board_cached(scope)["summary"]["volume"].numerator == 1  # within the cache time
    settings.HOTLINE_DASHBOARD_CACHE_SECONDS = 0
    assert rolled.board_cached(scope)["summary"]["volume"].numerator == 2


def test_ranking_counts_callbacks_by_lead_unit_with_or_without_the_payload_key(district, log_call, period):
    from workorders.models import Event

    order = run_to_callback(district, log_call())
    order = work_order_callback(
        order=order, actor=district.user("operator"), contacted=True, resolution="solved", satisfaction="basic"
    )
    assert order.events.get(kind="callback_close").payload["lead_unit"] == district.street_a.pk
    # an event written before callbacks carried the lead unit: found through the order
    Event.objects.create(
        order=order,
        seq=99,
        kind="reopen",
        payload={"contacted": True, "resolution": "unsolved", "satisfaction": "unsatisfied"},
        created_at=timezone.now(),
    )
    row = {r["unit"].pk: r for r in ds.unit_ranking(ds.Scope(*period))}[district.street_a.pk]
    assert (row["made"], row["solved"], row["satisfied"]) == (2, 1, 1)
