"""The roll-up-backed board equals the live selectors (the reference) for every scope,
period and breakdown, on a history written through the services across many days,
before and after changes to past days and the beat task's re-roll."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards import breakdown as bd
from dashboards import rolled as rb
from dashboards import selectors as ds
from dashboards.models import DailyDeadlines, DailyOrders, RollupState, WeeklyPairs
from dashboards.rollup import rollup_rebuild
from dashboards.tasks import rollup_refresh
from workorders.models import Category
from workorders.services import (
    work_order_approve,
    work_order_approve_extension,
    work_order_assign,
    work_order_callback,
    work_order_reassign,
    work_order_reclassify,
    work_order_reply,
    work_order_request_extension,
    work_order_return,
    work_order_sign,
)

STREET_B = {"lng": 116.325}  # inside grid B1


def midnight(day):
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


class History:
    """Twelve orders on twelve consecutive days, 20 to 9 days ago, in both streets and
    the department, each on its own path: closed satisfied, reopened and closed again,
    left in progress past its handle deadline, returned and reassigned to the other
    street, never signed, extended."""

    def __init__(self, district, log_call):
        self.d = district
        self.handlers = {
            district.street_a.pk: "handler_a",
            district.street_b.pk: "handler_b",
            district.dept.pk: "handler_dept",
        }
        first = midnight(timezone.localdate() - timedelta(days=20)) + timedelta(hours=10)
        self.orders = {}
        for i in range(12):
            at = first + timedelta(days=i)
            extra = dict(STREET_B) if i % 3 == 2 else {}
            if i % 4 == 3:
                extra["category"] = district.cat_department
            self.orders[i] = self.run(i, log_call(now=at, **extra), at)

    def u(self, key):
        return self.d.user(key)

    def handler(self, order):
        order.refresh_from_db()
        return self.u(self.handlers[order.lead_unit_id])

    def run(self, i, order, at):
        d = self.d
        if order.category_id == d.cat_department.pk:
            lead = d.dept
        else:
            lead = d.street_b if order.street_id == d.street_b.pk else d.street_a
        order = work_order_assign(order=order, actor=self.u("dispatcher"), unit=lead, now=at + timedelta(minutes=5))
        path = i % 6
        if path == 3:  # returned, then reassigned to the other street
            work_order_return(
                order=order,
                actor=self.handler(order),
                reason="not_territory",
                note="不属本街道",
                now=at + timedelta(minutes=9),
            )
            other = d.street_b if lead != d.street_b else d.street_a
            # A department's matter sent to a street needs the center's reason (no push-down).
            push = "属地先行处置" if order.category_id == d.cat_department.pk else ""
            order = work_order_reassign(
                order=order, actor=self.u("dispatcher"), unit=other, override=push, now=at + timedelta(hours=1)
            )
        if path == 4:  # never signed: the sign deadline stays open, past due
            return order
        late = path == 1
        order = work_order_sign(order=order, actor=self.handler(order), now=at + timedelta(hours=3 if late else 0.2))
        if path == 2:  # left in progress
            return order
        if path == 5:  # extended by 25 days, still in progress
            work_order_request_extension(
                order=order,
                actor=self.handler(order),
                proposed_due=at + timedelta(days=25),
                reason="需协调",
                now=at + timedelta(hours=1),
            )
            return work_order_approve_extension(order=order, actor=self.u("dispatcher"), now=at + timedelta(hours=2))
        order = self.reply_and_approve(order, at + timedelta(days=1))
        if path == 1:  # unsatisfied: reopened, replied again, basically satisfied
            order = work_order_callback(
                order=order,
                actor=self.u("operator"),
                contacted=True,
                resolution="unsolved",
                satisfaction="unsatisfied",
                now=at + timedelta(days=2),
            )
            order = self.reply_and_approve(order, at + timedelta(days=3))
            return work_order_callback(
                order=order,
                actor=self.u("operator"),
                contacted=True,
                resolution="partly",
                satisfaction="basic",
                now=at + timedelta(days=4),
            )
        return work_order_callback(
            order=order,
            actor=self.u("operator"),
            contacted=True,
            resolution="solved",
            satisfaction="satisfied",
            now=at + timedelta(days=2),
        )

    def reply_and_approve(self, order, at):
        order = work_order_reply(order=order, actor=self.handler(order), reply="已处理。", now=at)
        return work_order_approve(order=order, actor=self.u("dispatcher"), now=at + timedelta(minutes=30))


@pytest.fixture
def history(district, log_call):
    return History(district, log_call)


def scopes(district, now):
    today = timezone.localdate()
    periods = [
        (midnight(today - timedelta(days=6)), midnight(today + timedelta(days=1))),  # the page's 7 days
        (midnight(today - timedelta(days=29)), midnight(today + timedelta(days=1))),  # 30 days
        (midnight(today - timedelta(days=364)), midnight(today + timedelta(days=1))),  # a year
        (midnight(today - timedelta(days=15)), midnight(today - timedelta(days=10))),  # wholly in the past
        (now - timedelta(days=17, hours=5), now),  # not on day boundaries
    ]
    units = [None, district.center, district.street_a, district.street_b, district.dept]
    return [ds.Scope(start, end, unit) for start, end in periods for unit in units]


def last_days(days, unit=None):
    """The page's period "the last N days" (whole local days up to today)."""
    today = timezone.localdate()
    return ds.Scope(midnight(today - timedelta(days=days - 1)), midnight(today + timedelta(days=1)), unit)


def assert_board_equals_live(scope, now, bucket="day"):
    live = ds.board(scope, bucket=bucket, now=now)
    rolled = rb.board(scope, bucket=bucket, now=now)
    for key, fig in live["summary"].items():
        other = rolled["summary"][key]
        assert (other.numerator, other.denominator) == (fig.numerator, fig.denominator), (scope, key)
    a, b = live["summary"]["handling"].extra["avg"], rolled["summary"]["handling"].extra["avg"]
    # PostgreSQL's AVG(interval) and sum ÷ count may round the last microsecond apart.
    assert (a is None) == (b is None) and (a is None or abs(a - b) <= timedelta(microseconds=1)), scope
    for key in ("ranking", "categories", "trend", "grids", "hotspots"):
        assert rolled[key] == live[key], (scope, key, bucket)
    assert rb.hotspots(scope, min_count=2, now=now) == ds.hotspots(scope, min_count=2), scope
    categories = list(Category.objects.values_list("pk", flat=True))
    rates = bd.category_rates(scope, categories)
    assert bd.category_rates_rolled(scope, categories, now=now) == rates, scope


def assert_all_equal(district, now):
    for scope in scopes(district, now):
        assert_board_equals_live(scope, now)
    for bucket in ("week", "month"):
        assert_board_equals_live(last_days(365), now, bucket)
        assert_board_equals_live(last_days(30, district.street_a), now, bucket)


def test_rolled_board_equals_the_live_selectors(district, history):
    now = timezone.now()
    run = rollup_rebuild(now=now)
    assert run.rolled_through == timezone.localdate() and run.days == 20
    assert DailyOrders.objects.exists() and DailyDeadlines.objects.filter(due__gt=0).exists()
    assert WeeklyPairs.objects.filter(received__gte=2).exists()
    assert ds.hotspots(last_days(30), min_count=2)  # hotspots are compared on real pairs
    figures = ds.summary(last_days(30), now=now)
    # the history has every kind of figure: late signs, reopens, open past due, ...
    assert 0 < figures["response"].numerator < figures["response"].denominator
    assert figures["reopen"].numerator == 2 and figures["overdue"].numerator > 0
    assert_all_equal(district, now)


def test_category_rates_read_the_roll_up_and_today_live(district, history, log_call):
    """The board's rates per category: the rolled days from DailyCallbacks (no callback
    rows read), today's callbacks live, the same figures as the live GROUP BY, with a
    confidential caller's order, a merged one and callbacks made today among them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workorders.services import work_order_merge, work_order_reject, work_order_submit

    u = history.u
    ago = midnight(timezone.localdate() - timedelta(days=5)) + timedelta(hours=9)
    secret = log_call(now=ago, caller_confidential=True, **STREET_B)
    history.run(0, secret, ago)  # closed satisfied three days ago, in street B
    for i, community in enumerate((district.community_a, district.community_b)):
        web = work_order_submit(
            channel="qr",
            title="垃圾",
            description="垃圾桶满了没人清",
            caller_phone=f"1380000000{i}",
            category=district.cat_territorial,
            community=community,
            now=ago,
        )
        if i:
            work_order_reject(order=web, actor=u("operator"), reason="重复", now=ago + timedelta(minutes=2))
        else:
            work_order_merge(order=web, actor=u("operator"), into=secret, now=ago + timedelta(minutes=2))
    rollup_rebuild()
    # Today, after the roll-up: the order left in progress (path 2, 18 days old) is
    # replied and called back.
    now = timezone.now()
    late = history.reply_and_approve(history.orders[2], now - timedelta(minutes=30))
    work_order_callback(
        order=late, actor=u("operator"), contacted=True, resolution="solved", satisfaction="basic", now=now
    )
    now = timezone.now()
    categories = list(Category.objects.values_list("pk", flat=True))
    for scope in scopes(district, now):
        assert bd.category_rates_rolled(scope, categories, now=now) == bd.category_rates(scope, categories), scope
    month = bd.category_rates(last_days(30), categories)
    assert month[district.cat_territorial.pk]["satisfaction"].denominator >= 6
    assert month[district.cat_department.pk]["resolution"].numerator > 0
    # A period wholly in the rolled days reads no callback (event) rows at all.
    past = ds.Scope(midnight(timezone.localdate() - timedelta(days=15)), midnight(timezone.localdate()), None)
    with CaptureQueriesContext(connection) as queries:
        rolled = bd.category_rates_rolled(past, categories, now=now)
    assert rolled == bd.category_rates(past, categories) and rolled
    assert not [q for q in queries.captured_queries if "workorders_event" in q["sql"]]


def test_board_is_live_until_the_roll_up_exists(district, history):
    now = timezone.now()
    assert not RollupState.objects.exists()
    for scope in scopes(district, now)[:5]:
        assert_board_equals_live(scope, now)
    assert rb.split(last_days(30), now).live == [last_days(30)]


def test_changes_to_past_days_are_re_rolled_by_the_beat_task(district, history):
    rollup_rebuild()
    o = history.orders
    now = timezone.now()
    u = history.u
    # An extension moves a deadline that fell due 11 days ago (open, past due) to next week.
    work_order_request_extension(
        order=o[2], actor=history.handler(o[2]), proposed_due=now + timedelta(days=7), reason="需协调", now=now
    )
    work_order_approve_extension(order=o[2], actor=u("dispatcher"), now=now)
    # A late sign closes a deadline of a past day.
    work_order_sign(order=o[4], actor=history.handler(o[4]), now=now)
    # A reply and a callback entered with the time they happened (days ago), then the
    # resident is unsatisfied today and the order is replied again: the earlier reply
    # day loses it.
    past = now - timedelta(days=3)
    history.reply_and_approve(o[8], past)
    work_order_callback(
        order=o[8],
        actor=u("operator"),
        contacted=True,
        resolution="unsolved",
        satisfaction="unsatisfied",
        now=past + timedelta(days=1),
    )
    # Reopened, it is moved from the territorial category to the department's: its
    # callback two days ago now counts for that category.
    work_order_reclassify(order=o[8], actor=u("dispatcher"), category=district.cat_department, now=now)
    history.reply_and_approve(o[8], now)
    # A return and reassignment moves an order received 10 days ago to the other street.
    work_order_return(order=o[10], actor=history.handler(o[10]), reason="not_territory", note="不属本街道", now=now)
    work_order_reassign(order=o[10], actor=u("dispatcher"), unit=district.street_b, now=now)

    now = timezone.now()
    month = last_days(30)
    stale = rb.summary(month, now=now)
    live = ds.summary(month, now=now)
    assert (stale["on_time"].denominator, stale["handling"].numerator) != (
        live["on_time"].denominator,
        live["handling"].numerator,
    )  # the past days changed, the roll-up has not yet seen it
    cats = [district.cat_territorial.pk, district.cat_department.pk]
    assert bd.category_rates_rolled(month, cats, now=now) != bd.category_rates(month, cats)
    result = rollup_refresh()
    assert result["touched_orders"] >= 4
    assert_all_equal(district, now)
    assert rollup_refresh()["touched_orders"] == 0  # nothing new


def test_refresh_rolls_the_days_that_ended_since_the_last_run(district, history):
    yesterday = timezone.now() - timedelta(days=1)
    rollup_rebuild(now=yesterday)
    assert RollupState.objects.get().rolled_through == timezone.localdate() - timedelta(days=1)
    rollup_refresh()
    assert RollupState.objects.get().rolled_through == timezone.localdate()
    assert_all_equal(district, timezone.now())


def test_rebuild_command_and_dashboard_page_show_the_live_figures(district, history, client, settings):
    from django.core.management import call_command

    call_command("rollup_rebuild")
    settings.HOTLINE_DASHBOARD_CACHE_SECONDS = 0
    today = timezone.localdate()
    start = today - timedelta(days=29)
    client.force_login(district.user("supervisor"))
    response = client.get(
        reverse("web:dashboard"),
        {"start": start.isoformat(), "end": today.isoformat(), "unit": district.street_a.pk, "bucket": "week"},
    )
    assert response.status_code == 200
    scope = ds.Scope(midnight(start), midnight(today + timedelta(days=1)), district.street_a)
    live = ds.board(scope, bucket="week")
    page = response.context["figures"]
    for key, fig in live["summary"].items():
        assert (page[key].numerator, page[key].denominator) == (fig.numerator, fig.denominator), key
    assert [(t["bucket"], t["received"], t["replied"]) for t in response.context["trend"]] == [
        (t["bucket"], t["received"], t["replied"]) for t in live["trend"]
    ]
    assert response.context["ranking"] == live["ranking"]


def test_an_event_committed_after_a_later_one_is_not_missed(district, history):
    """PostgreSQL hands out ids at insert, so a transaction can commit an event whose id
    is below one the last run already saw; the run remembers such missing ids."""
    from workorders.models import Event

    rollup_rebuild()
    o = history.orders
    first = Event.objects.order_by("-id").first().id + 1
    now = timezone.now()
    work_order_request_extension(
        order=o[2], actor=history.handler(o[2]), proposed_due=now + timedelta(days=7), reason="需协调", now=now
    )
    work_order_approve_extension(order=o[2], actor=history.u("dispatcher"), now=now)
    last = Event.objects.order_by("-id").first().id
    # As if the last run had seen ids up to `last` while these were still uncommitted.
    RollupState.objects.update(last_event_id=last, holes=list(range(first, last + 1)))
    assert rollup_refresh()["touched_orders"] == 1
    assert_all_equal(district, timezone.now())
    assert not set(RollupState.objects.get().holes) & set(range(first, last + 1))
