"""Orders from monitoring systems: a fake video-analysis source reports over HTTP."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from attachments.models import Attachment
from community.models import MonitorEvent
from community.monitor import monitor_event_report, monitor_source_rotate_key
from community.tests.conftest import FakeSource
from hotline.testing import image_bytes
from workorders.choices import Channel, Status
from workorders.models import Event, WorkOrder


@pytest.mark.django_db
def test_a_detection_opens_a_submitted_order_with_position_and_photo(camera):
    source, key = camera
    response = FakeSource(key).report(
        event_id="evt-1", description="东门人行道有流动摊贩", photo=image_bytes("JPEG", (64, 48))
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["duplicate"] is False and body["photos"] == 1 and body["status"] == Status.SUBMITTED
    order = WorkOrder.objects.get(number=body["number"])
    assert order.channel == Channel.SENSOR
    assert order.category == source.default_category
    assert order.community.code == "S-A-1" and order.grid.code == "S-A-1-01"  # located by its position
    assert order.caller_phone == ""
    first = Event.objects.get(order=order)
    assert first.kind == "submit" and first.actor_id == source.user_id  # the event names the source
    assert Attachment.objects.get(order=order).content_type == "image/jpeg"
    assert MonitorEvent.objects.get(source=source, event_id="evt-1").order == order


@pytest.mark.django_db
def test_the_same_event_id_again_returns_the_first_order(camera):
    _source, key = camera
    fake = FakeSource(key)
    first = fake.report(event_id="evt-7", photo=image_bytes("JPEG"))
    again = fake.report(event_id="evt-7", photo=image_bytes("JPEG"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True and again.json()["number"] == first.json()["number"]
    assert WorkOrder.objects.count() == 1 and Attachment.objects.count() == 1


@pytest.mark.django_db
def test_event_ids_are_per_source(district, camera):
    from community.monitor import monitor_source_create

    _source, key = camera
    _other, other_key = monitor_source_create(code="water", name="水务传感", unit=district.street_b)
    a = FakeSource(key).report(event_id="1")
    b = FakeSource(other_key).report(event_id="1", category="0101", lat=39.905, lng=116.325)
    assert a.status_code == b.status_code == 201
    assert a.json()["number"] != b.json()["number"]


@pytest.mark.django_db
def test_only_an_active_source_account_may_report(district, camera):
    from api.tokens import api_token_create

    source, key = camera
    assert FakeSource("nonsense-key-that-is-long").report(event_id="x").status_code == 401
    _token, operator_key = api_token_create(user=district.user("operator"))
    assert FakeSource(operator_key).report(event_id="x").status_code == 403  # a person, not a source
    source.is_active = False
    source.save()
    assert FakeSource(key).report(event_id="x").status_code == 403
    assert not WorkOrder.objects.exists() and not MonitorEvent.objects.exists()
    # The refusal is in the client's language (it was fixed in Chinese at import).
    english = FakeSource(operator_key)
    english.client.credentials(HTTP_AUTHORIZATION=f"Token {operator_key}", HTTP_ACCEPT_LANGUAGE="en")
    body = english.report(event_id="x").json()
    assert "active monitoring source" in str(body), body


@pytest.mark.django_db
def test_a_rotated_key_stops_the_old_one(camera):
    source, key = camera
    new_key = monitor_source_rotate_key(source=source)
    assert FakeSource(key).report(event_id="r").status_code == 401
    assert FakeSource(new_key).report(event_id="r").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "photo", "field"),
    [
        ({"event_id": ""}, None, "event_id"),
        ({"event_id": "e" * 101}, None, "event_id"),
        ({"event_id": "e1", "title": ""}, None, "title"),
        ({"event_id": "e1", "category": "9999"}, None, "category"),
        ({"event_id": "e1", "lat": 95}, None, "lat"),
        ({"event_id": "e1"}, b"not an image at all", "photo"),
    ],
)
def test_bad_input_is_refused_by_field_and_saves_nothing(camera, fields, photo, field):
    _source, key = camera
    response = FakeSource(key).report(photo=photo, **fields)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not WorkOrder.objects.exists() and not MonitorEvent.objects.exists() and not Attachment.objects.exists()


@pytest.mark.django_db
def test_a_refused_report_can_be_sent_again_corrected(camera):
    _source, key = camera
    fake = FakeSource(key)
    assert fake.report(event_id="fix", category="9999").status_code == 400
    assert fake.report(event_id="fix").status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reports_of_one_event_at_once_open_one_order(camera, monkeypatch):
    """The second report waits on the claim's unique index while the first is inside its
    transaction, then answers with the first's order."""
    from community import monitor

    source, _key = camera
    entered, release = threading.Event(), threading.Event()
    real = monitor.work_order_intake
    calls = []

    def slow_submit(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            entered.set()
            assert release.wait(10)
        return real(**kwargs)

    monkeypatch.setattr(monitor, "work_order_intake", slow_submit)
    results = {}

    def report(name):
        try:
            results[name] = monitor_event_report(source=source, event_id="same", title="占道", lat=39.905, lng=116.305)
        finally:
            connection.close()

    first = threading.Thread(target=report, args=("first",))
    first.start()
    assert entered.wait(10)
    second = threading.Thread(target=report, args=("second",))
    second.start()
    second.join(0.5)
    assert second.is_alive(), "the second report should wait for the first's commit"
    release.set()
    first.join(10)
    second.join(10)
    assert results["first"].created and not results["second"].created
    assert results["first"].order.pk == results["second"].order.pk
    assert WorkOrder.objects.count() == 1 and len(calls) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_first_report_that_fails_leaves_the_id_free(camera, monkeypatch):
    """A report that rolls back (the order was refused mid-way) holds no claim: the
    concurrent second one, which waited on it, opens the order."""
    from community import monitor
    from workorders.errors import InvalidInput

    source, _key = camera
    entered, release = threading.Event(), threading.Event()
    real = monitor.work_order_intake
    calls = []

    def failing_first(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            entered.set()
            assert release.wait(10)
            raise InvalidInput({"title": "boom"})
        return real(**kwargs)

    monkeypatch.setattr(monitor, "work_order_intake", failing_first)
    results = {}

    def report(name):
        try:
            results[name] = monitor_event_report(source=source, event_id="same", title="占道", lat=39.905, lng=116.305)
        except InvalidInput as exc:
            results[name] = exc
        finally:
            connection.close()

    first = threading.Thread(target=report, args=("first",))
    first.start()
    assert entered.wait(10)
    second = threading.Thread(target=report, args=("second",))
    second.start()
    second.join(0.5)
    release.set()
    first.join(10)
    second.join(10)
    assert isinstance(results["first"], InvalidInput)
    assert results["second"].created and WorkOrder.objects.count() == 1


@pytest.mark.django_db
def test_the_command_adds_a_source_whose_printed_key_works(district):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command(
        "monitor_source", "add", "river", "--name", "河道监测", "--unit", "S-A", "--category", "0101", stdout=out
    )
    assert FakeSource(out.getvalue().strip()).report(event_id="r1").status_code == 201
    with pytest.raises(CommandError):
        call_command("monitor_source", "add", "river", "--unit", "S-A", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("monitor_source", "add", "lake", "--unit", "nowhere", stdout=StringIO())
    out = StringIO()
    call_command("monitor_source", "rotate", "river", stdout=out)
    assert FakeSource(out.getvalue().strip()).report(event_id="r2").status_code == 201
