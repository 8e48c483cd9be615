"""直接答复率 and the 三满意 aspects from the daily roll-up (DailyDirect, DailyCallbacks'
aspect columns) equal the live computation for every scope and period, before and after
changes to past days once the beat task has re-rolled them; a period wholly rolled reads
no events."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.satisfaction import _aspect_counts, _callbacks, three_satisfaction_figures
from dashboards import rolled as rb
from dashboards import selectors as ds
from dashboards.models import DailyCallbacks, DailyDirect
from dashboards.rollup import rollup_rebuild, rollup_refresh
from workorders import services as svc

pytestmark = pytest.mark.django_db

STREET_B = {"lat": 39.905, "lng": 116.325, "address": "乙街道某处"}
ANSWERS = [
    ("satisfied", "basic", ""),
    ("unsatisfied", "satisfied", "basic"),
    ("basic", "", "unsatisfied"),
    ("", "", ""),
]


def midnight(day):
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


@pytest.fixture
def history(district, log_call):
    """Four calls a day for 20 days, in both streets: one answered on the spot (every
    other one from an article), one left waiting, two handled and called back with a
    different set of 三满意 answers each."""
    op, first = district.user("operator"), midnight(timezone.localdate() - timedelta(days=20)) + timedelta(hours=9)
    waiting = []
    for i in range(20):
        at = first + timedelta(days=i)
        place = STREET_B if i % 2 else {}
        answered = log_call(now=at, **place)
        svc.work_order_answer_now(
            order=answered,
            actor=op,
            answer="已当场答复",
            payload={"article": 1} if i % 4 < 2 else {},
            now=at + timedelta(minutes=3),
        )
        waiting.append(log_call(now=at + timedelta(minutes=10), **place))
        for j in range(2):
            order = log_call(now=at + timedelta(hours=1 + j))
            svc.work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a, now=at)
            svc.work_order_sign(order=order, actor=district.user("handler_a"), now=at + timedelta(hours=2))
            svc.work_order_reply(
                order=order, actor=district.user("handler_a"), reply="已处理", now=at + timedelta(hours=3)
            )
            svc.work_order_approve(order=order, actor=district.user("dispatcher"), now=at + timedelta(hours=4))
            attitude, process, result = ANSWERS[(i + j) % len(ANSWERS)]
            svc.work_order_callback(
                order=order,
                actor=op,
                contacted=True,
                resolution="solved",
                satisfaction="satisfied" if attitude != "unsatisfied" else "unsatisfied",
                attitude=attitude,
                process=process,
                result=result,
                now=at + timedelta(hours=5),
            )
    return waiting


def scopes(district, now):
    today = timezone.localdate()
    periods = [
        (midnight(today - timedelta(days=29)), midnight(today + timedelta(days=1))),  # the page's 30 days
        (midnight(today - timedelta(days=6)), midnight(today + timedelta(days=1))),
        (midnight(today - timedelta(days=15)), midnight(today - timedelta(days=10))),  # wholly in the past
        (now - timedelta(days=17, hours=5), now),  # not on day boundaries
    ]
    units = [None, district.center, district.street_a, district.street_b, district.dept]
    return [ds.Scope(start, end, unit) for start, end in periods for unit in units]


def direct(fig):
    return (fig.numerator, fig.denominator, fig.extra["kb"].numerator, fig.extra["kb"].denominator)


def aspects(figures):
    return {f.key: (f.satisfied, f.answered) for f in figures}


def live_aspects(since, until):
    row = _aspect_counts(_callbacks(since, until))
    return {k: (row[f"{k}_ok"], row[f"{k}_n"]) for k in ("attitude", "process", "result")}


def assert_equal_to_live(district, now):
    supervisor = district.user("supervisor")
    for scope in scopes(district, now):
        assert direct(rb.direct_answer(scope, now=now)) == direct(ds.direct_answer(scope)), scope
        assert direct(rb.summary(scope, now=now)["direct_answer"]) == direct(ds.direct_answer(scope)), scope
        if scope.unit is None:
            got = three_satisfaction_figures(user=supervisor, since=scope.start, until=scope.end, now=now)
            assert aspects(got) == live_aspects(scope.start, scope.end), scope


def test_rolled_direct_answers_and_aspects_equal_the_live_ones(district, history):
    now = timezone.now()
    rollup_rebuild(now=now)
    assert DailyDirect.objects.filter(answered__gt=0, from_article__gt=0).exists()
    assert DailyCallbacks.objects.filter(attitude_n__gt=0, result_ok__gt=0).exists()
    month = ds.Scope(midnight(timezone.localdate() - timedelta(days=29)), now)
    fig = ds.direct_answer(month)
    assert 0 < fig.extra["kb"].numerator < fig.numerator < fig.denominator
    assert 0 < live_aspects(month.start, month.end)["attitude"][0] < live_aspects(month.start, month.end)["attitude"][1]
    assert_equal_to_live(district, now)


def test_changes_after_the_roll_up_show_once_re_rolled(district, history, log_call):
    now = timezone.now()
    rollup_rebuild(now=now)
    # A call of eleven days ago, in street B, is dispatched to street A now: its past
    # log_call counts for street A's direct-answer rate (the order's lead unit).
    moved = history[9]
    svc.work_order_assign(order=moved, actor=district.user("dispatcher"), unit=district.street_a, now=now)
    # A call answered today and a callback with its aspects today (the live piece).
    today = log_call(now=now - timedelta(minutes=30))
    svc.work_order_answer_now(order=today, actor=district.user("operator"), answer="已答复", now=now)
    scope = ds.Scope(midnight(timezone.localdate() - timedelta(days=29)), now, district.street_a)
    assert direct(rb.direct_answer(scope, now=now)) != direct(ds.direct_answer(scope))  # until the beat runs
    rollup_refresh(now=now)
    assert_equal_to_live(district, now)


def test_a_rolled_period_reads_no_events(district, history):
    now = timezone.now()
    rollup_rebuild(now=now)
    today = timezone.localdate()
    start, end = midnight(today - timedelta(days=15)), midnight(today - timedelta(days=1))
    with CaptureQueriesContext(connection) as ctx:
        got = three_satisfaction_figures(user=district.user("supervisor"), since=start, until=end, now=now)
        fig = rb.direct_answer(ds.Scope(start, end), now=now)
    assert aspects(got) == live_aspects(start, end) and direct(fig) == direct(ds.direct_answer(ds.Scope(start, end)))
    assert not [q["sql"] for q in ctx.captured_queries if "workorders_event" in q["sql"]]


def test_the_grid_figures_count_overdue_once(district, history, log_call):
    """Overdue is a state at ``now``: the board's grid figures read it once, not again
    for the period's live piece (today), and still equal the live selector's."""
    now = timezone.now()
    rollup_rebuild(now=now)
    log_call(now=now - timedelta(minutes=5))  # today's live piece has an order
    scope = ds.Scope(
        midnight(timezone.localdate() - timedelta(days=29)), midnight(timezone.localdate() + timedelta(days=1))
    )
    with CaptureQueriesContext(connection) as ctx:
        got = rb.grid_figures(scope, now=now)
    assert got == ds.grid_figures(scope, now=now) and any(f["overdue"] for f in got.values())
    overdue = [q["sql"] for q in ctx.captured_queries if '"workorders_deadline"' in q["sql"]]
    assert len(overdue) == 1, overdue


def test_the_comparisons_read_no_state_of_now(district, history):
    """环比/同比 compare the rates and the volume only: the earlier periods' summaries
    leave out the overdue orders (a state at now, the same for any period), the direct
    answers and proactive orders, and their rates and volume are the live ones."""
    from dashboards.compare import comparisons, previous_period

    now = timezone.now()
    rollup_rebuild(now=now)
    scope = ds.Scope(
        midnight(timezone.localdate() - timedelta(days=9)), midnight(timezone.localdate() + timedelta(days=1))
    )
    figures = rb.summary(scope, now=now)
    with CaptureQueriesContext(connection) as ctx:
        out = comparisons(scope, figures)
    assert not [q["sql"] for q in ctx.captured_queries if '"workorders_deadline"."state"' in q["sql"]]
    assert not [q["sql"] for q in ctx.captured_queries if "answer_now" in q["sql"] or "proactive" in q["sql"]]
    earlier = ds.summary(previous_period(scope), now=now)
    assert out["volume"]["mom"] is not None and earlier["volume"].numerator
    for key in ("response", "resolution", "satisfaction", "on_time", "reopen", "volume"):
        got = rb.summary(previous_period(scope), now=now, headline_only=True)[key]
        assert (got.numerator, got.denominator) == (earlier[key].numerator, earlier[key].denominator), key
