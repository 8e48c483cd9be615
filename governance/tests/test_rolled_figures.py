"""The assessment's figures from the dashboard's daily roll-up (governance.figures.
assessed_figures) equal the live computation (unit_figures, the reference) for every
assessed kind and period, with exclusions and upheld appeals left out, after changes to
past days once the beat task has re-rolled them; and the 物业 ranking page reads no
orders, callbacks or deadlines for a month the roll-up covers."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from community.routing import order_escalate
from dashboards.models import DailyHandoffs, DailyPlaces, DailyUnitCallbacks, RollupState
from dashboards.rollup import rollup_rebuild, rollup_refresh
from governance.figures import assessed_figures, unit_figures
from governance.models import ASSESSED_KINDS, ComplaintCategory
from governance.scoring import period_bounds, previous_period
from governance.services import (
    appeal_decide,
    appeal_file,
    exclusion_decide,
    exclusion_request,
    scheme_save_version,
)
from governance.tests.test_property_serving import A1, A2, B1, wuye  # noqa: F401 (fixture)
from grids.models import Service, UnitKind
from workorders.models import Deadline, Event
from workorders.services import (
    work_order_approve,
    work_order_assign,
    work_order_reassign,
    work_order_reply,
    work_order_return,
    work_order_return_up,
    work_order_sign,
    work_order_sub_dispatch,
)
from workorders.services.review import work_order_callback

pytestmark = pytest.mark.django_db


def midnight(day):
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def _user(code):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=f"wuye_{code[-1]}")


class PropertyHistory:
    """Orders on many days of the last two months: handled by a street, sub-dispatched
    down to a property company (signed late, reopened, handed back up), complaints about
    the 物业 in every served place, returns and reassignments; one order excluded, a
    late sign, a bad rating and a return upheld on appeal."""

    def __init__(self, district, log_call, companies):
        self.d, self.log_call, self.wuye = district, log_call, companies
        self.orders = []
        first = midnight(timezone.localdate() - timedelta(days=45)) + timedelta(hours=9)
        for i in range(15):
            self.orders.append(self.run(i, first + timedelta(days=3 * i)))

    def u(self, key):
        return self.d.user(key)

    def down_to(self, company, at, **place):
        d = self.d
        order = self.log_call(now=at, **place)
        work_order_assign(order=order, actor=self.u("dispatcher"), unit=d.street_a, now=at)
        work_order_sign(order=order, actor=self.u("handler_a"), now=at + timedelta(minutes=5))
        work_order_sub_dispatch(
            order=order, actor=self.u("handler_a"), unit=d.community_a, now=at + timedelta(minutes=6)
        )
        work_order_sign(order=order, actor=self.u("handler_community_a"), now=at + timedelta(minutes=7))
        work_order_sub_dispatch(
            order=order, actor=self.u("handler_community_a"), unit=self.wuye[company], now=at + timedelta(minutes=8)
        )
        return order

    def close(self, order, actor, at, satisfaction="satisfied", resolution="solved"):
        work_order_reply(order=order, actor=actor, reply="已处理", now=at)
        work_order_approve(order=order, actor=self.u("dispatcher"), now=at + timedelta(hours=1))
        work_order_callback(
            order=order,
            actor=self.u("operator"),
            contacted=True,
            resolution=resolution,
            satisfaction=satisfaction,
            now=at + timedelta(hours=2),
        )
        order.refresh_from_db()
        return order

    def run(self, i, at):
        d, path = self.d, i % 5
        if path == 0:  # a street handles it, a complaint about the 物业 of A1
            order = self.log_call(now=at, category=self.wuye["complaint"], **A1)
            work_order_assign(order=order, actor=self.u("dispatcher"), unit=d.street_a, now=at)
            work_order_sign(order=order, actor=self.u("handler_a"), now=at + timedelta(minutes=5))
            return self.close(order, self.u("handler_a"), at + timedelta(hours=3))
        if path == 1:  # down to 幸福里物业, signed late, unsatisfied: reopened with it
            order = self.down_to("P-1", at, **A1)
            work_order_sign(order=order, actor=_user("P-1"), now=at + timedelta(hours=4))
            return self.close(
                order, _user("P-1"), at + timedelta(hours=6), satisfaction="unsatisfied", resolution="unsolved"
            )
        if path == 2:  # down to 和园物业, handed back up
            order = self.down_to("P-2", at, **A2)
            work_order_return_up(order=order, actor=_user("P-2"), note="不属物业管理范围", now=at + timedelta(hours=1))
            return order
        if path == 3:  # returned by street A, reassigned to street B; a complaint in community B
            order = self.log_call(now=at, category=self.wuye["complaint"], **B1)
            work_order_assign(order=order, actor=self.u("dispatcher"), unit=d.street_a, now=at)
            work_order_return(order=order, actor=self.u("handler_a"), reason="not_territory", note="不属本街道", now=at)
            # once the center overrules the return and sends it back to street A
            back = i == 13
            unit, handler = (d.street_a, "handler_a") if back else (d.street_b, "handler_b")
            work_order_reassign(
                order=order,
                actor=self.u("dispatcher"),
                unit=unit,
                overrule_return=back or None,
                now=at + timedelta(hours=1),
            )
            work_order_sign(order=order, actor=self.u(handler), now=at + timedelta(hours=2))
            return self.close(order, self.u(handler), at + timedelta(hours=5), satisfaction="basic")
        # path 4: down to 幸福里物业 in A1, handled in time, satisfied
        order = self.down_to("P-1", at, category=self.wuye["complaint"], **A1)
        work_order_sign(order=order, actor=_user("P-1"), now=at + timedelta(minutes=10))
        return self.close(order, _user("P-1"), at + timedelta(hours=2))

    def leave_out(self):
        """An approved exclusion and three upheld appeals (a breach, a rating, a return)."""
        orders = self.orders
        ex = exclusion_request(order=orders[4], actor=_user("P-1"), reason="malicious", note="恶意投诉")
        exclusion_decide(exclusion=ex, actor=self.u("supervisor"), approve=True, note="核实")
        late = orders[6]
        breach = Deadline.objects.filter(order=late, stage="sign", unit_id=self.wuye["P-1"].pk).get()
        self.uphold(late, _user("P-1"), "breach", breach.pk, breach.due_at)
        rated = Event.objects.filter(order=orders[11], kind="reopen").get()
        self.uphold(orders[11], self.u("handler_a"), "rating", rated.pk, rated.created_at)
        returned = Event.objects.filter(order=orders[13], kind="return").get()
        self.uphold(orders[13], self.u("handler_a"), "return", returned.pk, returned.created_at)

    def uphold(self, order, actor, target, subject_id, when):
        appeal = appeal_file(
            order=order,
            actor=actor,
            target=target,
            subject_id=subject_id,
            reason="情况特殊",
            now=when + timedelta(days=1),
        )
        appeal_decide(appeal=appeal, actor=self.u("supervisor"), uphold=True, note="成立", now=when + timedelta(days=2))


@pytest.fixture
def history(district, log_call, wuye):  # noqa: F811
    return PropertyHistory(district, log_call, wuye)


def periods(now):
    today = timezone.localdate()
    month = period_bounds("month", today)
    return [
        previous_period("month", today),  # the ranking's default: wholly rolled
        period_bounds("month", (month[0] - timedelta(days=40)).date()),
        month,  # this month: rolled days and today live
        period_bounds("quarter", today),
        (now - timedelta(days=33, hours=5), now - timedelta(hours=3)),  # not on day boundaries
        (midnight(today - timedelta(days=400)), midnight(today + timedelta(days=1))),
    ]


def shape(figures):
    return {u: {i: (f.numerator, f.denominator) for i, f in figs.items()} for u, figs in figures.items()}


def assert_equal_to_live(now):
    for start, end in periods(now):
        for kind in ASSESSED_KINDS:
            live = unit_figures(start=start, end=end, kind=kind, now=now)
            assert shape(assessed_figures(start=start, end=end, kind=kind, now=now)) == shape(live), (kind, start)


def test_rolled_figures_equal_the_live_ones_with_exclusions_and_appeals(district, history, wuye):  # noqa: F811
    history.leave_out()
    now = timezone.now()
    rollup_rebuild(now=now)
    assert DailyUnitCallbacks.objects.filter(unit_id=wuye["P-1"].pk, made__gt=0).exists()
    assert DailyHandoffs.objects.filter(kind="return_up", unit_id=wuye["P-2"].pk).exists()
    assert DailyPlaces.objects.filter(category_id=wuye["complaint"].pk).exists()
    # The history has every part of the property figures, and something left out of each.
    start, end = now - timedelta(days=60), now
    p1 = shape(unit_figures(start=start, end=end, kind=UnitKind.PROPERTY, now=now))[wuye["P-1"].pk]
    assert 0 < p1["response"][0] < p1["response"][1] and p1["reopen"][0] > 0 and p1["complaint"][0] > 0
    assert shape(unit_figures(start=start, end=end, kind=UnitKind.PROPERTY, now=now))[wuye["P-2"].pk]["return"][0]
    assert_equal_to_live(now)


def test_changes_after_the_roll_up_show_once_re_rolled(district, history, wuye, log_call):  # noqa: F811
    now = timezone.now()
    rollup_rebuild(now=now)
    assert_equal_to_live(now)
    # Decisions on exclusions and appeals apply at once (read live, not rolled).
    history.leave_out()
    assert_equal_to_live(now)
    # A reopened order escalated to the street: its past callback no longer counts for
    # the company (nor, for the communities' ranking, for community A).
    order_escalate(order=history.orders[1], actor=_user("P-1"), to="street", note="需街道协调", now=now)
    # A late callback and a new complaint on today's live piece; a return and reassignment.
    late = history.down_to("P-2", now - timedelta(hours=2), category=wuye["complaint"], **A2)
    work_order_sign(order=late, actor=_user("P-2"), now=now - timedelta(hours=1))
    history.close(late, _user("P-2"), now - timedelta(minutes=50))
    start, end = previous_period("month", timezone.localdate())
    stale = shape(assessed_figures(start=start - timedelta(days=31), end=end, kind=UnitKind.COMMUNITY, now=now))
    live = shape(unit_figures(start=start - timedelta(days=31), end=end, kind=UnitKind.COMMUNITY, now=now))
    assert stale != live  # the rolled day still credits the company, until the beat task runs
    rollup_refresh(now=now)
    assert_equal_to_live(now)
    # The admin makes 占道经营 a complaint about the 物业: counted live until re-rolled.
    ComplaintCategory.objects.create(category=district.cat_territorial, service=Service.PROPERTY)
    assert_equal_to_live(now)
    rollup_refresh(now=now)
    assert RollupState.objects.get().place_categories == sorted([wuye["complaint"].pk, district.cat_territorial.pk])
    assert DailyPlaces.objects.filter(category_id=district.cat_territorial.pk).exists()
    assert_equal_to_live(now)


@override_settings(HOTLINE_DASHBOARD_CACHE_SECONDS=0)
def test_property_ranking_page_reads_the_roll_up(client, district, history, wuye):  # noqa: F811
    history.leave_out()
    scheme_save_version(
        code="wuye",
        name="物业考核",
        unit_kind=UnitKind.PROPERTY,
        weights={"response": 20, "on_time": 20, "satisfaction": 30, "reopen": 10, "return": 10, "complaint": 10},
    )
    rollup_rebuild()
    client.force_login(district.user("supervisor"))
    url = reverse("governance:property")
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url)
    assert page.status_code == 200
    read = " ".join(q["sql"] for q in ctx.captured_queries)
    # The month is rolled: no order, callback, deadline or event is read for the figures,
    # only the few left out by key.
    for table in ("workorders_event", "workorders_deadline", "workorders_workorder"):
        for q in ctx.captured_queries:
            if f'FROM "{table}"' in q["sql"]:
                assert '"order_id" IN (' in q["sql"] or '"id" IN (' in q["sql"], q["sql"]
    assert "dashboards_dailyunitcallbacks" in read and "dashboards_dailyplaces" in read
    start, end = previous_period("month", timezone.localdate())
    rows = page.context["rows"]
    live = unit_figures(start=start, end=end, kind=UnitKind.PROPERTY, now=timezone.now())
    assert {r.unit.pk: shape({0: r.figures})[0] for r in rows} == {
        u: shape({0: f})[0] for u, f in live.items() if u in {r.unit.pk for r in rows}
    }
