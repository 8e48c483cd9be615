"""Real concurrency on PostgreSQL: a retry arriving while the first request with the
same Idempotency-Key is still running gets 409, and nothing is created twice."""

import json
import threading

import pytest
from django.db import connection

from workorders.models import WorkOrder

NEW = {"caller_phone": "13812345678", "title": "路灯不亮", "description": "小区门口路灯坏了", "category": "0101"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_retry_during_the_first_request_is_409_then_replayed(api, district, monkeypatch):
    from workorders import services

    entered, release = threading.Event(), threading.Event()
    real = services.work_order_log_call

    def slow_log_call(**kwargs):
        entered.set()
        assert release.wait(10)
        return real(**kwargs)

    monkeypatch.setattr(services, "work_order_log_call", slow_log_call)
    results = {}

    def first():
        try:
            client = api("operator")
            results["first"] = client.post(
                "/api/v1/orders", data=json.dumps(NEW), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
            )
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert entered.wait(10)
    client = api("operator")
    during = client.post(
        "/api/v1/orders", data=json.dumps(NEW), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    release.set()
    thread.join(10)
    after = client.post(
        "/api/v1/orders", data=json.dumps(NEW), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert during.status_code == 409 and during.json()["code"] == "idempotency_key_in_use"
    assert results["first"].status_code == 201
    assert after.status_code == 201 and after.json()["number"] == results["first"].json()["number"]
    assert WorkOrder.objects.count() == 1
