"""三满意: attitude, process and result asked beside the overall answer in callbacks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.tokens import api_token_create
from community.satisfaction import three_satisfaction_figures
from workorders import services as svc
from workorders.choices import Status
from workorders.models import Event, WorkOrder


@pytest.fixture
def at_callback(district, log_call):
    def make():
        order = log_call()
        svc.work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
        svc.work_order_sign(order=order, actor=district.user("handler_a"))
        svc.work_order_reply(order=order, actor=district.user("handler_a"), reply="已清理")
        return svc.work_order_approve(order=order, actor=district.user("dispatcher"))

    return make


def aspects_of(order) -> dict:
    return Event.objects.filter(order=order, kind__in=("callback_close", "reopen")).get().payload.get("aspects", {})


@pytest.mark.django_db
def test_the_service_keeps_the_three_answers_beside_the_overall_one(district, at_callback):
    order = svc.work_order_callback(
        order=at_callback(),
        actor=district.user("operator"),
        contacted=True,
        resolution="solved",
        satisfaction="basic",
        attitude="satisfied",
        process="unsatisfied",
        result="basic",
    )
    assert order.status == Status.CLOSED and order.callback_satisfaction == "basic"  # the overall answer decides
    assert aspects_of(order) == {"attitude": "satisfied", "process": "unsatisfied", "result": "basic"}


@pytest.mark.django_db
def test_a_bad_aspect_is_refused_by_name_and_changes_nothing(district, at_callback):
    from workorders.errors import InvalidInput

    order = at_callback()
    with pytest.raises(InvalidInput) as info:
        svc.work_order_callback(
            order=order,
            actor=district.user("operator"),
            contacted=True,
            resolution="solved",
            satisfaction="satisfied",
            process="great",
        )
    assert "process" in info.value.errors
    assert WorkOrder.objects.get(pk=order.pk).status == Status.CALLBACK


@pytest.mark.django_db
def test_the_api_callback_takes_the_three_answers(district, at_callback):
    order = at_callback()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=district.user('operator'))[1]}")
    url = f"/api/v1/orders/{order.number}/callback"
    bad = client.post(url, {"contacted": True, "resolution": "solved", "satisfaction": "satisfied", "attitude": "x"})
    assert bad.status_code == 400 and "attitude" in bad.json()["errors"]
    ok = client.post(
        url,
        {
            "contacted": True,
            "resolution": "solved",
            "satisfaction": "satisfied",
            "attitude": "satisfied",
            "result": "basic",
        },
    )
    assert ok.status_code == 200, ok.content
    assert aspects_of(order) == {"attitude": "satisfied", "result": "basic"}


@pytest.mark.django_db
def test_the_callback_page_asks_the_three_and_records_them(client, district, at_callback):
    order = at_callback()
    client.force_login(district.user("operator"))
    page = client.get("/ops/callbacks/").content.decode()
    assert "态度满意" in page and "过程满意" in page and "结果满意" in page
    response = client.post(
        f"/orders/{order.number}/do/callback/",
        {
            "expected_version": order.version,
            "contacted": "yes",
            "resolution": "solved",
            "satisfaction": "satisfied",
            "attitude": "satisfied",
            "process": "basic",
            "result": "unsatisfied",
            "note": "",
        },
    )
    assert response.status_code == 302
    assert aspects_of(order) == {"attitude": "satisfied", "process": "basic", "result": "unsatisfied"}


@pytest.mark.django_db
def test_the_rates_count_satisfied_and_basic_over_answered(client, district, at_callback):
    op = district.user("operator")
    answers = [("satisfied", "basic", ""), ("unsatisfied", "satisfied", ""), ("basic", "", "")]
    for attitude, process, result in answers:
        svc.work_order_callback(
            order=at_callback(),
            actor=op,
            contacted=True,
            resolution="solved",
            satisfaction="satisfied",
            attitude=attitude,
            process=process,
            result=result,
        )
    now = timezone.now()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        figures = {
            f.key: (f.satisfied, f.answered)
            for f in three_satisfaction_figures(
                user=district.user("supervisor"), since=now - timedelta(days=1), until=now + timedelta(minutes=1)
            )
        }
    assert figures == {"attitude": (2, 3), "process": (2, 2), "result": (0, 0)}
    # The center sees every order: no visibility subquery probing the orders per callback.
    counted = [q["sql"] for q in ctx.captured_queries if "workorders_event" in q["sql"]]
    assert counted and not any("workorders_workorder" in sql for sql in counted), counted
    assert (
        three_satisfaction_figures(user=district.user("handler_b"), since=now - timedelta(days=1), until=now)[
            0
        ].answered
        == 0
    )
    client.force_login(district.user("supervisor"))
    today = timezone.localdate(now).isoformat()  # the dashboard's days are local: 00:04 in Beijing is 16:04 UTC
    html = client.get(f"/dashboard/?start={today}&end={today}").content.decode()
    block = html[html.index('data-block="three-satisfaction"') :]
    assert "66.7%" in block and "2/3" in block
