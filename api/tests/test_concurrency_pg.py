"""Real concurrency on PostgreSQL: a retry arriving while the first request with the
same Idempotency-Key is still running waits for it and gets its order; nothing is
created twice."""

import json
import threading

import pytest
from django.db import connection

from workorders.models import WorkOrder

NEW = {"caller_phone": "13812345678", "title": "路灯不亮", "description": "小区门口路灯坏了", "category": "0101"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_retry_during_the_first_request_waits_for_it_and_gets_its_order(api, district, monkeypatch):
    """The key is written in the order's transaction: the retry's INSERT waits on the
    key's unique index until the first commits, then replays the first's answer."""
    from workorders.services import intake as services

    entered, release = threading.Event(), threading.Event()
    real = services.work_order_log_call

    def slow_log_call(**kwargs):
        entered.set()
        assert release.wait(10)
        return real(**kwargs)

    monkeypatch.setattr(services, "work_order_log_call", slow_log_call)
    results = {}

    def post(name):
        try:
            results[name] = api("operator").post(
                "/api/v1/orders", data=json.dumps(NEW), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
            )
        finally:
            connection.close()

    first = threading.Thread(target=post, args=("first",))
    first.start()
    assert entered.wait(10)
    during = threading.Thread(target=post, args=("during",))
    during.start()
    during.join(0.5)
    assert during.is_alive(), "the retry should wait for the first request's commit"
    release.set()
    first.join(10)
    during.join(10)
    assert results["first"].status_code == results["during"].status_code == 201
    assert results["during"]["Idempotent-Replayed"] == "true"
    assert results["during"].json()["number"] == results["first"].json()["number"]
    assert WorkOrder.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_acting_at_once_one_wins_the_other_gets_409(api, district):
    from django.contrib.auth import get_user_model

    from grids.models import Membership, Role
    from workorders.services import work_order_assign, work_order_log_call

    second = get_user_model().objects.create_user(username="handler_a2", password="pw")
    Membership.objects.create(user=second, unit=district.street_a, role=Role.HANDLER)
    order = work_order_log_call(
        actor=district.user("operator"),
        caller_phone="13812345678",
        title="占道",
        description="摆摊",
        category=district.cat_territorial,
        auto_dispatch=False,
    )
    order = work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    from rest_framework.test import APIClient

    from api.tokens import api_token_create

    tokens = [api_token_create(user=u)[1] for u in (district.user("handler_a"), second)]
    barrier, codes = threading.Barrier(2), []

    def sign(token):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            barrier.wait(10)
            r = client.post(f"/api/v1/orders/{order.number}/sign", HTTP_IF_MATCH=f'"{order.version}"')
            codes.append((r.status_code, r.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(c for c, _ in codes) == [200, 409]
    assert order.events.filter(kind="sign").count() == 1
