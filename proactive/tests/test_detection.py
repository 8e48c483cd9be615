from __future__ import annotations

from datetime import date, timedelta

import pytest

from proactive.detection import robust_z, signals_detect, week_start
from proactive.models import DetectionRun, SeasonalPlan, Signal
from proactive.services import topic_promote


def test_robust_z_uses_the_median_and_a_floor_for_flat_series():
    assert robust_z(9, [1] * 8) == (8.0, 1.0)  # MAD 0: the √median floor, not infinity
    z, med = robust_z(12, [10, 11, 9, 10, 30, 10, 11, 9])  # one old spike moves nothing
    assert med == 10 and z < 2


def test_plan_window_may_wrap_the_new_year():
    plan = SeasonalPlan(start_month=11, start_day=15, end_month=3, end_day=15)
    assert plan.covers(date(2026, 12, 1)) and plan.covers(date(2027, 3, 15))
    assert not plan.covers(date(2026, 11, 14)) and not plan.covers(date(2026, 6, 1))
    summer = SeasonalPlan(start_month=6, start_day=1, end_month=8, end_day=31)
    assert summer.covers(date(2026, 7, 4)) and not summer.covers(date(2026, 9, 1))


def _baseline(copies, order, monday, per_week: int, weeks: int = 8):
    times = [monday - timedelta(weeks=k, minutes=i) for k in range(1, weeks + 1) for i in range(per_week)]
    return copies(order, times)


@pytest.mark.django_db
def test_a_day_far_above_its_weekday_baseline_is_a_volume_warning(district, log_call, copies, monday):
    seed = log_call(now=monday - timedelta(weeks=20))
    _baseline(copies, seed, monday, per_week=1)
    today = copies(seed, [monday + timedelta(minutes=i) for i in range(8)])
    signals_detect(week=monday.date())
    street = Signal.objects.get(kind="volume", place=district.street_a)
    assert (street.count, street.baseline, street.day) == (8, 1.0, monday.date())
    assert set(street.orders.values_list("pk", flat=True)) == {o.pk for o in today}
    assert Signal.objects.filter(kind="volume", place=district.grid_a).exists()  # the grid level too


@pytest.mark.django_db
def test_a_series_that_is_always_this_busy_raises_nothing(district, log_call, copies, monday):
    seed = log_call(now=monday - timedelta(weeks=20))
    _baseline(copies, seed, monday, per_week=8)
    copies(seed, [monday + timedelta(minutes=i) for i in range(8)])
    signals_detect(week=monday.date())
    assert not Signal.objects.filter(kind="volume").exists()


@pytest.mark.django_db
def test_a_seasonal_plan_lowers_the_threshold_and_raises_the_level(district, log_call, copies, monday):
    seed = log_call(now=monday - timedelta(weeks=20))
    _baseline(copies, seed, monday, per_week=3)
    copies(seed, [monday + timedelta(minutes=i) for i in range(6)])  # z = (6-3)/√3 ≈ 1.7
    signals_detect(week=monday.date())
    assert not Signal.objects.filter(kind="volume").exists()
    d = monday.date()
    SeasonalPlan.objects.create(
        category=district.cat_territorial, name="供暖", start_month=d.month, start_day=d.day,
        end_month=d.month, end_day=d.day, threshold=1.5,
    )  # fmt: skip
    signals_detect(week=d)
    signal = Signal.objects.get(kind="volume", place=district.street_a)
    assert signal.seasonal and signal.level == 2


@pytest.mark.django_db
def test_near_duplicate_orders_at_one_place_form_one_cluster(district, log_call, copies, monday):
    seed = log_call(now=monday)
    same = copies(
        seed, [monday + timedelta(hours=i) for i in range(1, 3)], description="幸福里小区门口傍晚有人摆摊占道"
    )
    other = copies(seed, [monday + timedelta(hours=5)], title="楼道灯坏了", description="3号楼楼道灯不亮已经一周")
    signals_detect(week=monday.date())
    cluster = Signal.objects.get(kind="cluster")
    assert set(cluster.orders.values_list("pk", flat=True)) == {seed.pk, *(o.pk for o in same)}
    assert other[0].pk not in set(cluster.orders.values_list("pk", flat=True))


@pytest.mark.django_db
def test_two_similar_orders_are_not_a_cluster(district, log_call, copies, monday):
    seed = log_call(now=monday)
    copies(seed, [monday + timedelta(hours=1)])
    signals_detect(week=monday.date())
    assert not Signal.objects.filter(kind="cluster").exists()


@pytest.mark.django_db
def test_a_rerun_keeps_the_rows_topics_point_at(district, log_call, copies, monday):
    seed = log_call(now=monday)
    copies(seed, [monday + timedelta(hours=i) for i in range(1, 4)])
    assert signals_detect(week=monday.date()) == 1
    signal = Signal.objects.get()
    topic = topic_promote(
        signal=signal, actor=district.user("supervisor"), title="摆摊", owner=district.user("supervisor"),
        plan="联合执法", due=monday.date() + timedelta(days=30),
    )  # fmt: skip
    copies(seed, [monday + timedelta(hours=5)])
    signals_detect(week=monday.date() + timedelta(days=3))  # any day names its week
    topic.refresh_from_db()
    assert topic.source_id == signal.pk and Signal.objects.get(kind="cluster").count == 5
    assert DetectionRun.objects.get().week == week_start(monday.date())
