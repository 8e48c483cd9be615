"""Every dashboard figure equals the count of the list behind it, for every role and
every unit it may choose, on orders spread over the whole test district."""

from __future__ import annotations

import pytest
from django.test.utils import override_settings

from dashboards import selectors as ds
from web.tests.test_privacy_crawl import ROLES
from workorders.tests.planted import plant

ORDER_FIGURES = ("volume", "overdue", "handling")  # figures that count orders
RATE_FIGURES = ("response", "on_time", "resolution", "satisfaction", "reopen", "direct_answer", "kb_answer")


@pytest.fixture
def planted(district, django_capture_on_commit_callbacks):
    from workorders.services import work_order_callback

    with django_capture_on_commit_callbacks(execute=True):
        planted = plant(district)
        work_order_callback(
            order=planted.orders["secret_a"],
            actor=district.user("operator"),
            contacted=True,
            resolution="solved",
            satisfaction="satisfied",
        )
    return planted


@override_settings(HOTLINE_DASHBOARD_CACHE_SECONDS=0)
@pytest.mark.parametrize("username", ROLES)
def test_every_figure_equals_its_list_for_every_unit(client, district, planted, username):
    client.force_login(district.user(username))
    first = client.get("/dashboard/")
    if username not in ("supervisor", "supervisor_a", "admin"):
        assert first.status_code == 404
        return
    assert first.status_code == 200
    checked = 0
    for unit in [None, *first.context["units"]]:
        params = {} if unit is None else {"unit": unit.pk}
        page = client.get("/dashboard/", params)
        assert page.status_code == 200
        figures = page.context["figures"]
        for key in ORDER_FIGURES + RATE_FIGURES:
            for part in ("num", "all"):
                listing = client.get("/orders/", {**params, "figure": key, "part": part})
                assert listing.status_code == 200
                total = listing.context["total"]
                fig = figures["direct_answer"].extra["kb"] if key == "kb_answer" else figures[key]
                if key in ORDER_FIGURES:
                    expected = fig.numerator
                    assert "counted" not in listing.context
                else:
                    # A rate counts stage deadlines, callbacks or call events; the list
                    # shows their orders, each once (a sub-dispatched order has a sign
                    # stage at the street and one at the community). The page names
                    # what was counted, and its count of those rows is the figure's.
                    counted = fig.numerator if part == "num" else fig.denominator
                    assert listing.context["counted"] == counted, (username, unit, key, part)
                    unit_text = str(listing.context["counted_unit"])
                    assert f"此比率按{unit_text}计：共 {counted} 次" in listing.content.decode()
                    expected = ds.orders_behind(_scope(page), key, part).count()
                    assert total <= counted
                assert total == expected, (username, unit, key, part, total, expected)
                checked += 1
    assert checked


def _scope(page) -> ds.Scope:
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    tz = timezone.get_current_timezone()
    ctx = page.context
    return ds.Scope(
        datetime.combine(ctx["start"], time.min, tzinfo=tz),
        datetime.combine(ctx["end"] + timedelta(days=1), time.min, tzinfo=tz),
        ctx["unit"],
    )


@override_settings(HOTLINE_DASHBOARD_CACHE_SECONDS=0)
def test_a_rate_list_states_it_counts_deadlines_and_marks_an_order_counted_twice(client, district, planted):
    """The response rate counts sign-stage deadlines: the order sub-dispatched from
    street A to community A has two, so the list has fewer orders than the figure has
    deadlines, says so, and marks that order as counted twice."""
    client.force_login(district.user("supervisor"))
    figures = client.get("/dashboard/").context["figures"]
    listing = client.get("/orders/", {"figure": "response", "part": "all"})
    body = listing.content.decode()
    assert listing.context["counted"] == figures["response"].denominator > listing.context["total"]
    assert "此比率按签收时限计" in body
    twice = [o for o in listing.context["orders"] if o.counted == 2]
    assert planted.orders["plain_a"] in twice and "计 2 次" in body


@override_settings(HOTLINE_DASHBOARD_CACHE_SECONDS=0)
def test_a_street_supervisor_figure_counts_the_department_order_located_in_the_street(client, district, planted):
    """The case that differed: an order located in street A but led by the department is
    in street A's volume, so its supervisor's list must show it too."""
    client.force_login(district.user("supervisor_a"))
    page = client.get("/dashboard/", {"unit": district.street_a.pk})
    listing = client.get("/orders/", {"unit": district.street_a.pk, "figure": "volume"})
    assert planted.orders["dept_a"].number in listing.content.decode()
    assert listing.context["total"] == page.context["figures"]["volume"].numerator
