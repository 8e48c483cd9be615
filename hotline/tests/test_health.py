"""/healthz, /readyz, /metrics and the request id on log lines."""

import io
import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.health import heartbeat_record
from hotline.logging import ContextFilter, JsonFormatter
from hotline.models import Heartbeat


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}


@pytest.mark.django_db
def test_readyz_is_red_until_beat_has_run_the_scan_and_the_rollup(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] and checks["follow_ups"] == {"ok": True, "age_seconds": 0.0, "max": 60.0}
    assert "broker" not in checks  # the web sends no broker message (hotline/outbox_relay.py)
    assert checks["deadline_scan"] == {"ok": False, "age_seconds": None, "max": 60.0}
    from dashboards.tasks import rollup_refresh
    from dispatch.tasks import scan_deadlines

    # The real tasks, as the worker runs them: their success records the heartbeat.
    scan_deadlines.apply()
    rollup_refresh.apply()
    assert set(Heartbeat.objects.values_list("name", flat=True)) == {"deadline_scan", "rollup"}
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()


@pytest.mark.django_db
def test_readyz_turns_red_when_the_scan_stops(client, settings):
    settings.HOTLINE_SCAN_INTERVAL = 15
    heartbeat_record(name="rollup")
    heartbeat_record(name="deadline_scan", now=timezone.now() - timedelta(seconds=61))
    body = client.get("/readyz").json()
    assert not body["ok"] and not body["checks"]["deadline_scan"]["ok"] and body["checks"]["rollup"]["ok"]


@pytest.mark.django_db
def test_readyz_turns_red_when_a_due_follow_up_waits_unclaimed(client, log_call):
    from workorders.models import FollowUp
    from workorders.outbox import follow_ups_record

    heartbeat_record(name="rollup")
    heartbeat_record(name="deadline_scan")
    order, now = log_call(), timezone.now()
    event = order.events.get()
    follow_ups_record(tasks=["dispatch.on_event"], order_id=order.pk, event_id=event.pk, now=now)
    assert client.get("/readyz").status_code == 200  # just written: the relay's to wake
    # A row in its backoff is not waiting: it is not due yet.
    FollowUp.objects.update(available_at=now + timedelta(minutes=10))
    assert client.get("/readyz").status_code == 200
    # Due two minutes ago and nobody took it: no worker (or no broker) is draining.
    FollowUp.objects.update(available_at=now - timedelta(minutes=2))
    response = client.get("/readyz")
    assert response.status_code == 503
    check = response.json()["checks"]["follow_ups"]
    assert not check["ok"] and 119 < check["age_seconds"] < 200 and check["max"] == 60.0


@pytest.mark.django_db
def test_metrics_need_the_token_or_an_allowed_address(client, settings, log_call):
    log_call()
    client.get("/healthz")
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    text = client.get("/metrics").content.decode()  # the test client is 127.0.0.1
    assert 'hotline_orders{status="accepted"} 1.0' in text
    assert 'hotline_request_seconds_count{method="GET",status="200",view="healthz"}' in text
    assert 'hotline_deadlines{state="due"}' in text and "hotline_scan_lag_seconds 0.0" in text
    assert 'hotline_queue_depth{queue="dispatch"}' in text and "hotline_notifications_failed 0.0" in text
    settings.HOTLINE_METRICS_TOKEN = "s3cret"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret", REMOTE_ADDR="10.1.2.3").status_code == 200


@pytest.mark.django_db
def test_scan_lag_is_the_age_of_the_oldest_unmarked_breach(client, district, log_call):
    from workorders.models import Deadline
    from workorders.services import work_order_assign

    work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    assert Deadline.objects.filter(state="open").count() >= 1
    Deadline.objects.update(due_at=timezone.now() - timedelta(minutes=5), warn_at=timezone.now() - timedelta(hours=1))
    text = client.get("/metrics").content.decode()
    lag = float(next(x for x in text.splitlines() if x.startswith("hotline_scan_lag_seconds ")).split()[1])
    assert 299 < lag < 400


@pytest.mark.django_db
def test_request_id_is_honoured_echoed_and_on_the_log_lines(client, district, log_call):
    order = log_call()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.force_login(district.user("operator"))
        response = client.get(f"/orders/{order.number}/nonexistent-action/", HTTP_X_REQUEST_ID="abc-123")
        assert response["X-Request-ID"] == "abc-123"
        client.get(f"/orders/{order.number}/do/nope/", HTTP_X_REQUEST_ID="abc-456")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert {"request_id": "abc-456", "order": order.number}.items() <= lines[-1].items()
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="x\r\nFAKE log line")["X-Request-ID"]
    assert len(forged) == 32 and "FAKE" not in forged


def test_json_log_format_is_one_object_a_line(monkeypatch):
    import os
    import subprocess
    import sys

    code = "import django, logging; django.setup(); logging.getLogger('x').warning('订单 %s', 1)"
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "hotline.settings"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60).stderr
    line = json.loads(out.strip().splitlines()[-1])
    assert line["message"] == "订单 1" and line["level"] == "WARNING" and line["request_id"] == "-"
