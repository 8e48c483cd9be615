"""The connector to the city's 12345 platform, against a fake platform on a free port."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from community.models import UpstreamOrder, UpstreamReport
from community.tasks import UPSTREAM_REPORT, upstream_report
from community.tests.fake_upstream import FakeUpstream
from community.upstream import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_of, upstream_order_receive
from workorders import services as svc
from workorders.choices import Channel, Status
from workorders.models import Event, FollowUp, WorkOrder

SECRET = "test-secret-0123456789"
WEBHOOK = "/community/upstream/webhook"


@pytest.fixture
def platform(settings):
    with FakeUpstream(SECRET) as fake:
        settings.HOTLINE_UPSTREAM_URL = fake.url
        settings.HOTLINE_UPSTREAM_SECRET = SECRET
        settings.HOTLINE_UPSTREAM_TIMEOUT = 2
        yield fake


def send(message: dict, *, secret: str = SECRET, stamp: int | None = None):
    """The platform's webhook into our app, signed as it signs them."""
    body = json.dumps(message, ensure_ascii=False).encode()
    ts = str(stamp if stamp is not None else int(time.time()))
    return Client().post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        headers={TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: signature_of(body=body, timestamp=ts, secret=secret)},
    )


def handed_down(upstream_id: str = "SJ-2026-0001", **extra) -> dict:
    return {
        "type": "dispatch",
        "message_id": f"m-{upstream_id}",
        "upstream_id": upstream_id,
        "title": "小区门口占道摆摊",
        "description": "市12345转办：幸福里小区东门每天傍晚有摊贩占道。",
        "caller_phone": "13812345678",
        "caller_name": "李四",
        "lat": 39.905,
        "lng": 116.305,
        "category": "0101",
        **extra,
    }


def drain() -> dict:
    return upstream_report.apply().get()


def pending_row() -> FollowUp:
    return FollowUp.objects.get(task=UPSTREAM_REPORT, state=FollowUp.State.PENDING)


def due_now(row: FollowUp) -> None:
    """Let the backoff pass (time moves on) without sleeping through it."""
    FollowUp.objects.filter(pk=row.pk).update(available_at=timezone.now() - timedelta(seconds=1))


def work_through_to_callback(d, order: WorkOrder) -> WorkOrder:
    svc.work_order_accept(order=order, actor=d.user("operator"), auto_dispatch=False)
    svc.work_order_assign(order=order, actor=d.user("dispatcher"), unit=d.street_a)
    svc.work_order_sign(order=order, actor=d.user("handler_a"))
    svc.work_order_reply(order=order, actor=d.user("handler_a"), reply="已清理摊点，已拍照。")
    return svc.work_order_approve(order=order, actor=d.user("dispatcher"))


@pytest.mark.django_db
def test_a_handed_down_order_is_created_once_with_its_upstream_id(district, platform):
    first = send(handed_down())
    again = send(handed_down())
    assert (first.status_code, again.status_code) == (201, 200), first.content
    assert first.json()["number"] == again.json()["number"]
    order = WorkOrder.objects.get()
    assert order.channel == Channel.UPSTREAM and order.status == Status.SUBMITTED
    assert order.upstream.upstream_id == "SJ-2026-0001"
    assert order.caller_phone == "13812345678" and order.community.code == "S-A-1"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    [
        {"secret": "another-secret-0123456789"},
        {"stamp": int(time.time()) - 3600},  # a captured webhook replayed an hour later
    ],
)
def test_an_unsigned_or_stale_webhook_is_refused(district, platform, tamper):
    response = send(handed_down(), **tamper)
    assert response.status_code == 401 and response.json()["code"] == "bad_signature"
    assert not WorkOrder.objects.exists()


@pytest.mark.django_db
def test_without_an_upstream_the_webhook_is_not_there(district, settings):
    settings.HOTLINE_UPSTREAM_URL = ""
    settings.HOTLINE_UPSTREAM_SECRET = SECRET
    assert send(handed_down()).status_code == 404


@pytest.mark.django_db
def test_bad_input_is_refused_by_field_and_saves_nothing(district, platform):
    response = send(handed_down(category="9999"))
    assert response.status_code == 400 and "category" in response.json()["errors"]
    response = send(handed_down(title=""))
    assert response.status_code == 400 and "title" in response.json()["errors"]
    assert not WorkOrder.objects.exists() and not UpstreamOrder.objects.exists()


@pytest.mark.django_db
def test_acceptance_reply_and_closure_are_reported_back_in_order(district, platform):
    order = WorkOrder.objects.get(number=send(handed_down()).json()["number"])
    order = work_through_to_callback(district, order)
    svc.work_order_callback(
        order=order, actor=district.user("operator"), contacted=True, resolution="solved", satisfaction="satisfied"
    )
    assert drain()["done"] == 3
    assert platform.statuses() == ["accepted", "replied", "closed"]
    replied = next(m for m in platform.accepted.values() if m["status"] == "replied")
    assert replied["reply"] == "已清理摊点，已拍照。" and replied["upstream_id"] == "SJ-2026-0001"
    assert UpstreamReport.objects.count() == 3
    assert drain()["done"] == 0 and len(platform.received) == 3  # nothing is sent twice


@pytest.mark.django_db
def test_orders_of_other_channels_report_nothing(district, log_call, platform):
    order = log_call()
    svc.work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    assert not FollowUp.objects.filter(task=UPSTREAM_REPORT).exists()


@pytest.mark.django_db
def test_a_failing_platform_is_retried_with_backoff_until_it_answers(district, platform):
    order = WorkOrder.objects.get(number=send(handed_down()).json()["number"])
    svc.work_order_accept(order=order, actor=district.user("operator"), auto_dispatch=False)
    platform.fail_next = 2
    before = timezone.now()
    assert drain() == {"done": 0, "retried": 1, "failed": 0}
    row = pending_row()
    assert row.attempts == 1 and "HTTP 500" in row.last_error
    assert row.available_at >= before + timedelta(seconds=5)  # HOTLINE_OUTBOX_BACKOFF
    assert drain()["retried"] == 0  # not before its time
    due_now(row)
    assert drain()["retried"] == 1
    row = pending_row()
    assert row.attempts == 2 and row.available_at >= timezone.now() + timedelta(seconds=9)  # doubled
    due_now(row)
    assert drain()["done"] == 1
    assert [m["status"] for m in platform.received] == ["accepted"] * 3
    assert platform.statuses() == ["accepted"]
    assert UpstreamReport.objects.get().attempts == 3


@pytest.mark.django_db
def test_a_lost_answer_is_sent_again_and_the_platform_keeps_it_once(district, platform):
    order = WorkOrder.objects.get(number=send(handed_down()).json()["number"])
    svc.work_order_accept(order=order, actor=district.user("operator"), auto_dispatch=False)
    platform.lose_next = 1  # the platform takes the report, its answer is lost on the way
    assert drain()["retried"] == 1
    assert len(platform.accepted) == 1 and not UpstreamReport.objects.exists()
    due_now(pending_row())
    assert drain()["done"] == 1
    ids = [m["message_id"] for m in platform.received]
    assert len(ids) == 2 and ids[0] == ids[1]  # the same message: the platform dedupes it
    assert platform.statuses() == ["accepted"] and UpstreamReport.objects.count() == 1


@pytest.mark.django_db
def test_a_lost_broker_message_loses_no_report(district, platform, monkeypatch, django_capture_on_commit_callbacks):
    """The nudge after commit never arrives (broker down): the row waits in the outbox
    and beat's follow-up sweep sends it."""
    from dispatch.tasks import sweep_follow_ups
    from workorders import outbox

    order = WorkOrder.objects.get(number=send(handed_down()).json()["number"])
    real_nudge = outbox.follow_ups_nudge
    monkeypatch.setattr(outbox, "follow_ups_nudge", lambda *, tasks: None)  # the message is lost
    with django_capture_on_commit_callbacks(execute=True):
        svc.work_order_accept(order=order, actor=district.user("operator"), auto_dispatch=False)
    assert platform.received == [] and pending_row()
    monkeypatch.setattr(outbox, "follow_ups_nudge", real_nudge)
    FollowUp.objects.update(available_at=timezone.now() - timedelta(minutes=1))  # past the grace
    sweep_follow_ups()
    assert platform.statuses() == ["accepted"]
    assert not FollowUp.objects.filter(task=UPSTREAM_REPORT, state=FollowUp.State.PENDING).exists()


@pytest.mark.django_db
def test_a_report_that_keeps_failing_goes_to_the_dead_letter_list_and_can_be_sent_again(
    district, platform, settings, root_client
):
    admin_client = root_client
    settings.HOTLINE_OUTBOX_MAX_ATTEMPTS = 2
    order = WorkOrder.objects.get(number=send(handed_down()).json()["number"])
    svc.work_order_accept(order=order, actor=district.user("operator"), auto_dispatch=False)
    platform.fail_next = 99
    drain()
    due_now(pending_row())
    assert drain()["failed"] == 1
    row = FollowUp.objects.get(task=UPSTREAM_REPORT)
    assert row.state == FollowUp.State.FAILED
    page = admin_client.get("/admin/community/upstreamdeadletter/")
    assert page.status_code == 200 and order.number in page.content.decode()
    platform.fail_next = 0
    response = admin_client.post(
        "/admin/community/upstreamdeadletter/", {"action": "send_again", "_selected_action": [row.pk]}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.state == FollowUp.State.PENDING
    assert drain()["done"] == 1 and platform.statuses() == ["accepted"]
    assert order.number not in admin_client.get("/admin/community/upstreamdeadletter/").content.decode()


@pytest.mark.django_db
def test_the_platforms_urge_is_our_urge_once_per_message(district, platform):
    order = WorkOrder.objects.get(number=send(handed_down()).json()["number"])
    svc.work_order_accept(order=order, actor=district.user("operator"), auto_dispatch=False)
    svc.work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    urge = {"type": "urge", "message_id": "u-1", "upstream_id": "SJ-2026-0001", "note": "市级督办：请加快"}
    assert send(urge).status_code == 200
    assert send(urge).status_code == 200
    urges = Event.objects.filter(order=order, kind="urge")
    assert urges.count() == 1 and urges.get().note == "市级督办：请加快"


@pytest.mark.django_db
def test_an_urge_on_an_order_not_yet_dispatched_says_why(district, platform):
    send(handed_down())
    response = send({"type": "urge", "message_id": "u-2", "upstream_id": "SJ-2026-0001"})
    assert response.status_code == 409 and "待受理" in response.json()["message"]
    assert send({"type": "urge", "message_id": "u-3", "upstream_id": "nope"}).status_code == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_order_handed_down_twice_at_once_is_created_once(district, settings, monkeypatch):
    from community import upstream

    entered, release = threading.Event(), threading.Event()
    real = upstream.work_order_submit
    calls = []

    def slow_submit(**kwargs):
        calls.append(1)
        order = real(**kwargs)
        if len(calls) == 1:
            entered.set()
            assert release.wait(10)
        return order

    monkeypatch.setattr(upstream, "work_order_submit", slow_submit)
    upstream.upstream_account()  # made before, so the race is the order's alone
    results = {}

    def receive(name):
        try:
            results[name] = upstream_order_receive(upstream_id="SJ-X", title="占道", description="摆摊")
        finally:
            connection.close()

    first = threading.Thread(target=receive, args=("first",))
    first.start()
    assert entered.wait(10)
    second = threading.Thread(target=receive, args=("second",))
    second.start()
    release.set()
    first.join(10)
    second.join(10)
    # Whichever inserts the upstream id first wins; the other's order rolls back.
    assert sorted([results["first"].created, results["second"].created]) == [False, True]
    assert results["first"].order.pk == results["second"].order.pk
    assert WorkOrder.objects.count() == 1 and UpstreamOrder.objects.count() == 1


@pytest.mark.django_db
def test_a_handed_down_order_transferred_to_110_is_reported_as_transferred(district, platform):
    from community.emergency import emergency_transfer_create

    order = WorkOrder.objects.get(number=send(handed_down()).json()["number"])
    emergency_transfer_create(order=order, actor=district.user("operator"), line="110", note="现场有人斗殴")
    assert drain()["done"] == 1
    (message,) = platform.accepted.values()
    assert (message["status"], message["line"]) == ("transferred", "110")
