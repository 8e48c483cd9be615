"""Scores read the dashboard's figures; exclusions and upheld appeals leave rows out."""

from datetime import timedelta

import pytest
from django.test.utils import override_settings

from dashboards.selectors import Scope, summary, unit_ranking
from governance.figures import orders_behind_score, unit_figures
from governance.models import Decision, Indicator
from governance.scoring import compare, period_bounds, ranking, score_of
from governance.services import appeal_decide, appeal_file, exclusion_decide, exclusion_request, scheme_save_version
from governance.tests.conftest import T0
from workorders.errors import InvalidInput, NotAllowed
from workorders.models import Deadline, Event

pytestmark = pytest.mark.django_db

START, END = period_bounds("month", T0.date())
NOW = END + timedelta(days=1)


def figures(district):
    return unit_figures(start=START, end=END, kind="street", now=NOW)[district.street_a.pk]


def test_street_figures_equal_the_dashboards_figures_for_the_street(district, handled):
    handled()
    handled(sign_after=timedelta(hours=5), satisfaction="unsatisfied", resolution="unsolved")
    handled(unit=district.street_b)
    ours = figures(district)
    board = summary(Scope(START, END, district.street_a), now=NOW)
    for indicator in ("response", "on_time", "resolution", "satisfaction", "reopen"):
        assert (ours[indicator].numerator, ours[indicator].denominator) == (
            board[indicator].numerator,
            board[indicator].denominator,
        ), indicator
    ranked = next(r for r in unit_ranking(Scope(START, END), now=NOW) if r["unit"] == district.street_a)
    for indicator in ("on_time", "resolution", "satisfaction"):
        assert (ours[indicator].numerator, ours[indicator].denominator) == (
            ranked[indicator].numerator,
            ranked[indicator].denominator,
        ), indicator
    assert (ours["response"].numerator, ours["response"].denominator) == (1, 2)
    assert (ours["satisfaction"].numerator, ours["satisfaction"].denominator) == (1, 2)
    # 2 dispatches to street A, no return
    assert (ours["return"].numerator, ours["return"].denominator) == (0, 2)


def test_every_number_clicks_through_to_exactly_its_orders(district, handled):
    good = handled()
    late = handled(sign_after=timedelta(hours=5))
    for part, expected in (("num", {good.pk}), ("all", {good.pk, late.pk})):
        qs = orders_behind_score(start=START, end=END, unit=district.street_a, indicator="response", part=part, now=NOW)
        assert set(qs.values_list("pk", flat=True)) == expected
    for indicator in Indicator.values:
        fig = figures(district)[indicator]
        listed = orders_behind_score(
            start=START, end=END, unit=district.street_a, indicator=indicator, part="all", now=NOW
        ).count()
        assert listed == fig.denominator, indicator  # one row per order in these orders


def test_approved_exclusion_leaves_the_order_out_of_every_figure(district, handled):
    handled()
    bad = handled(sign_after=timedelta(hours=5), satisfaction="unsatisfied", resolution="unsolved")
    ex = exclusion_request(order=bad, actor=district.user("handler_a"), reason="malicious", note="恶意重复来电")
    assert Event.objects.filter(order=bad, kind="exclusion_request", payload__exclusion=ex.pk).exists()
    assert figures(district)["response"].denominator == 2  # pending: still counted
    with pytest.raises(NotAllowed):  # a street's own supervisor does not review its exclusions
        exclusion_decide(exclusion=ex, actor=district.user("supervisor_a"), approve=True, note="同意")
    exclusion_decide(exclusion=ex, actor=district.user("supervisor"), approve=True, note="核实为恶意诉求")
    figs = figures(district)
    assert (figs["response"].numerator, figs["response"].denominator) == (1, 1)
    assert (figs["satisfaction"].numerator, figs["satisfaction"].denominator) == (1, 1)
    assert Event.objects.filter(order=bad, kind="exclusion_approve").count() == 1
    with pytest.raises(InvalidInput):  # decided once, never twice
        exclusion_decide(exclusion=ex, actor=district.user("dispatcher"), approve=False, note="再审")
    ex.refresh_from_db()
    assert ex.state == Decision.APPROVED


def test_denied_exclusion_keeps_the_order_and_may_be_asked_again(district, handled):
    bad = handled(sign_after=timedelta(hours=5))
    ex = exclusion_request(order=bad, actor=district.user("handler_a"), reason="duplicate", note="重复")
    with pytest.raises(InvalidInput):
        exclusion_request(order=bad, actor=district.user("handler_a"), reason="duplicate", note="又一次")
    exclusion_decide(exclusion=ex, actor=district.user("dispatcher"), approve=False, note="不属于重复")
    assert figures(district)["response"].denominator == 1
    exclusion_request(order=bad, actor=district.user("handler_a"), reason="duplicate", note="补充证据")


def test_upheld_appeal_of_a_breach_changes_the_score(district, handled, street_scheme):
    handled()
    late = handled(sign_after=timedelta(hours=5))
    breach = Deadline.objects.get(order=late, stage="sign")
    assert breach.state == "breached"
    before = ranking(scheme=street_scheme, start=START, end=END, now=NOW)
    appeal = appeal_file(
        order=late,
        actor=district.user("handler_a"),
        target="breach",
        subject_id=breach.pk,
        reason="系统派单时单位账号被停用",
        now=breach.due_at + timedelta(days=1),
    )
    appeal_decide(appeal=appeal, actor=district.user("supervisor"), uphold=True, note="情况属实")
    after = ranking(scheme=street_scheme, start=START, end=END, now=NOW)
    a = next(r for r in after if r.unit == district.street_a)
    b = next(r for r in before if r.unit == district.street_a)
    assert (a.figures["response"].numerator, a.figures["response"].denominator) == (1, 1)
    assert a.score > b.score
    kinds = list(Event.objects.filter(order=late, kind__startswith="appeal_").values_list("kind", flat=True))
    assert kinds == ["appeal_file", "appeal_uphold"]


@override_settings(HOTLINE_APPEAL_DAYS=3)
def test_appeal_after_the_window_or_of_another_units_breach_is_refused(district, handled):
    late = handled(sign_after=timedelta(hours=5))
    breach = Deadline.objects.get(order=late, stage="sign")
    with pytest.raises(InvalidInput):
        appeal_file(
            order=late,
            actor=district.user("handler_a"),
            target="breach",
            subject_id=breach.pk,
            reason="迟到的申诉",
            now=breach.due_at + timedelta(days=4),
        )
    with pytest.raises(NotAllowed):  # street B cannot even reach street A's order
        appeal_file(order=late, actor=district.user("handler_b"), target="breach", subject_id=breach.pk, reason="x")
    good = handled()
    with pytest.raises(InvalidInput):  # a stage met on time is nothing to appeal
        appeal_file(
            order=good,
            actor=district.user("handler_a"),
            target="breach",
            subject_id=Deadline.objects.get(order=good, stage="sign").pk,
            reason="x",
        )


def test_dismissed_appeal_changes_nothing_and_a_bad_rating_can_be_appealed(district, handled):
    bad = handled(satisfaction="unsatisfied", resolution="unsolved")
    cb = Event.objects.filter(order=bad, kind__in=["callback_close", "reopen"]).latest("seq")
    appeal = appeal_file(
        order=bad,
        actor=district.user("handler_a"),
        target="rating",
        subject_id=cb.pk,
        reason="市民诉求超出职责",
        now=cb.created_at + timedelta(days=1),
    )
    appeal_decide(appeal=appeal, actor=district.user("dispatcher"), uphold=False, note="理由不充分")
    assert figures(district)["satisfaction"].denominator == 1
    with pytest.raises(InvalidInput):
        appeal_decide(appeal=appeal, actor=district.user("supervisor"), uphold=True, note="改判")


def test_scheme_edits_are_new_versions_and_one_is_in_force(district):
    v1 = scheme_save_version(code="s", name="街道", unit_kind="street", weights={"response": 1})
    v2 = scheme_save_version(code="s", name="街道", unit_kind="street", weights={"satisfaction": 1})
    v1.refresh_from_db()
    assert (v1.version, v2.version, v1.is_active, v2.is_active) == (1, 2, False, True)
    assert v1.weights == {"response": 1.0}
    for bad in ({}, {"nope": 1}, {"response": "x"}, {"response": -1}, {"response": 0}):
        with pytest.raises(InvalidInput):
            scheme_save_version(code="s", name="街道", unit_kind="street", weights=bad)


def test_score_weights_only_indicators_with_data():
    from dashboards.selectors import Figure

    figs = {"response": Figure("response", 1, 2), "reopen": Figure("reopen", 1, 4), "satisfaction": Figure("s", 0, 0)}
    assert score_of(figs, {"response": 1, "reopen": 1, "satisfaction": 5}) == pytest.approx((50 + 75) / 2)
    assert score_of({}, {"response": 1}) is None


def test_what_if_ranks_last_period_under_two_schemes_side_by_side(district, handled):
    # Street A answers fast but residents are unhappy; street B the other way round.
    handled(satisfaction="unsatisfied", resolution="unsolved")
    handled(unit=district.street_b, sign_after=timedelta(hours=5))
    fast = scheme_save_version(code="fast", name="重响应", unit_kind="street", weights={"response": 1})
    happy = scheme_save_version(
        code="happy", name="重满意", unit_kind="street", weights={"satisfaction": 1}, activate=False
    )
    rows = {r["unit"].code: r for r in compare(a=fast, b=happy, start=START, end=END, now=NOW)}
    assert (rows["S-A"]["a"].rank, rows["S-A"]["b"].rank) == (1, 2)
    assert (rows["S-B"]["a"].rank, rows["S-B"]["b"].rank) == (2, 1)
    assert rows["S-B"]["shift"] == 1


def test_score_page_and_what_if_share_one_computation_until_a_decision(district, handled):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    from governance.scoring import figures_cached

    bad = handled(sign_after=timedelta(hours=5))
    with override_settings(HOTLINE_DASHBOARD_CACHE_SECONDS=120):
        first = figures_cached(start=START, end=END, kind="street", now=NOW)
        with CaptureQueriesContext(connection) as queries:
            again = figures_cached(start=START, end=END, kind="street", now=NOW)
        assert again[district.street_a.pk]["response"].denominator == 1
        assert len(queries) == 2  # the decisions stamp only, no figure query
        assert first.keys() == again.keys()
        ex = exclusion_request(order=bad, actor=district.user("handler_a"), reason="malicious", note="恶意")
        exclusion_decide(exclusion=ex, actor=district.user("supervisor"), approve=True, note="同意")
        fresh = figures_cached(start=START, end=END, kind="street", now=NOW)
        assert fresh[district.street_a.pk]["response"].denominator == 0


def test_the_admin_saves_an_edit_as_a_new_version(client, district):
    from django.contrib.auth import get_user_model

    from governance.models import Scheme

    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-12345"))
    admin_client = client

    data = {
        "code": "street",
        "name": "街道考核",
        "unit_kind": "street",
        "period": "month",
        "weights": '{"response": 20, "satisfaction": 80}',
        "is_active": "on",
        "note": "初版",
    }
    assert admin_client.post("/admin/governance/scheme/add/", data).status_code == 302
    v1 = Scheme.objects.get()
    data.update(weights='{"response": 50, "satisfaction": 50}', note="调整权重")
    assert admin_client.post(f"/admin/governance/scheme/{v1.pk}/change/", data).status_code == 302
    v1.refresh_from_db()
    v2 = Scheme.objects.exclude(pk=v1.pk).get()
    assert (v1.version, v1.weights, v1.is_active) == (1, {"response": 20.0, "satisfaction": 80.0}, False)
    assert (v2.version, v2.weights, v2.is_active) == (2, {"response": 50.0, "satisfaction": 50.0}, True)
