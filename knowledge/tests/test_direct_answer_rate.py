"""直接答复率 on the supervisor dashboard, and the orders behind it."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards import rolled
from dashboards import selectors as ds
from knowledge.services import article_answer_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(district, log_call, kb):
    op = district.user("operator")
    from_article = article_answer_now(order=log_call(), actor=op, article=kb["card"])
    plain = article_answer_now(order=log_call(), actor=op, answer="已告知办理地点。")
    routed = log_call()
    elsewhere = log_call(lat=39.905, lng=116.325, address="和平路88号")  # street B, not answered
    return {"from_article": from_article, "plain": plain, "routed": routed, "elsewhere": elsewhere}


def scope(unit=None):
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    start = datetime.combine(today - timedelta(days=29), time.min, tzinfo=tz)
    return ds.Scope(start, datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz), unit)


def test_the_rate_counts_answers_on_the_spot_over_calls_logged_and_the_article_share(calls):
    fig = ds.summary(scope())["direct_answer"]
    assert (fig.numerator, fig.denominator) == (2, 4)
    assert (fig.extra["kb"].numerator, fig.extra["kb"].denominator) == (1, 2)
    rolled_figure = rolled.summary(scope())["direct_answer"]
    assert (rolled_figure.numerator, rolled_figure.denominator, rolled_figure.extra["kb"].numerator) == (2, 4, 1)


def test_each_part_of_the_figure_equals_its_click_through_list(calls):
    s = scope()
    fig = ds.summary(s)["direct_answer"]
    answered = set(ds.orders_behind(s, "direct_answer", "num"))
    logged = set(ds.orders_behind(s, "direct_answer", "all"))
    from_kb = set(ds.orders_behind(s, "kb_answer", "num"))
    assert len(answered) == fig.numerator and len(logged) == fig.denominator
    assert len(from_kb) == fig.extra["kb"].numerator
    assert answered == {calls["from_article"], calls["plain"]} and from_kb == {calls["from_article"]}
    assert answered <= logged


def test_a_street_scope_counts_only_its_own_calls(calls, district):
    fig = ds.summary(scope(district.street_b))["direct_answer"]
    assert (fig.numerator, fig.denominator) == (0, 1)


def test_the_dashboard_shows_the_figure_and_its_links_list_the_same_orders(client, district, calls):
    client.force_login(district.user("supervisor"))
    page = client.get(reverse("web:dashboard")).content.decode()
    assert 'data-figure="direct_answer"' in page and "直接答复率" in page and "50.0%" in page
    listing = client.get(reverse("web:orders"), {"figure": "direct_answer", "part": "num"}).content.decode()
    assert calls["from_article"].number in listing and calls["plain"].number in listing
    assert calls["routed"].number not in listing
    listing = client.get(reverse("web:orders"), {"figure": "kb_answer", "part": "num"}).content.decode()
    assert calls["from_article"].number in listing and calls["plain"].number not in listing
    listing = client.get(reverse("web:orders"), {"figure": "direct_answer", "part": "all"}).content.decode()
    assert all(o.number in listing for o in calls.values())


@pytest.mark.parametrize("username", ["supervisor", "supervisor_a", "admin"])
def test_the_figure_equals_the_count_of_its_list_for_every_unit_one_may_choose(client, district, calls, username):
    from django.test.utils import override_settings

    client.force_login(district.user(username))
    with override_settings(HOTLINE_DASHBOARD_CACHE_SECONDS=0):
        first = client.get(reverse("web:dashboard"))
        for unit in [None, *first.context["units"]]:
            params = {} if unit is None else {"unit": unit.pk}
            fig = client.get(reverse("web:dashboard"), params).context["figures"]["direct_answer"]
            parts = [
                ("direct_answer", "num", fig.numerator),
                ("direct_answer", "all", fig.denominator),
                ("kb_answer", "num", fig.extra["kb"].numerator),
                ("kb_answer", "all", fig.extra["kb"].denominator),
            ]
            for key, part, expected in parts:
                listing = client.get(reverse("web:orders"), {**params, "figure": key, "part": part})
                assert listing.context["total"] == expected, (username, unit, key, part)
