import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from dispatch.models import Notification, NotificationState
from dispatch.notify import Recipient, notifications_add, notifications_send, notifications_sweep

delivered: list = []


class ListBackend:
    def send(self, notification):
        delivered.append(notification.dedupe_key)


class BrokenBackend:
    def send(self, notification):
        raise OSError("gateway down")


@pytest.fixture(autouse=True)
def _clear():
    delivered.clear()


def _recipients(district, *names, own_mobile=True):
    """Recipients as dispatch.notify finds them: with their own mobile (the test
    district's staff have one) or, with own_mobile=False, reachable only through the
    unit's duty phone."""
    return [
        Recipient(district.user(n).pk, district.street_a, district.user(n).staff_phone.mobile if own_mobile else "")
        for n in names
    ]


def test_the_same_event_never_notifies_the_same_person_twice(district, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        first = notifications_add(recipients=_recipients(district, "handler_a", "handler_a"), text="x", key="ev1")
        again = notifications_add(recipients=_recipients(district, "handler_a", "supervisor_a"), text="x", key="ev1")
    assert len(first) == 1 and len(again) == 1  # only supervisor_a is new
    assert Notification.objects.filter(dedupe_key__startswith="ev1:").count() == 2


def test_the_ids_returned_are_the_rows_this_call_wrote_read_in_the_same_statement(
    district, django_capture_on_commit_callbacks, django_assert_num_queries
):
    now = timezone.now()
    with django_capture_on_commit_callbacks():
        with django_assert_num_queries(1):  # the INSERT returns its ids: nothing read back
            first = notifications_add(recipients=_recipients(district, "handler_a"), text="x", key="ev9", now=now)
        # Same key, same instant (a retried handler within one transaction): nothing new,
        # and the first call's row is not this call's.
        again = notifications_add(recipients=_recipients(district, "handler_a"), text="x", key="ev9", now=now)
        more = notifications_add(
            recipients=_recipients(district, "handler_a", "supervisor_a"), text="x", key="ev9", now=now
        )
    assert len(first) == 1 and again == []
    assert more == list(
        Notification.objects.filter(recipient=district.user("supervisor_a")).values_list("pk", flat=True)
    )
    row = Notification.objects.get(pk=first[0])
    assert (row.state, row.attempts, row.last_error, row.unit_id, row.channel, row.created_at) == (
        NotificationState.PENDING,
        0,
        "",
        district.street_a.pk,
        "sms",
        now,
    )


def test_many_recipients_are_written_in_batches_the_database_takes(district, django_capture_on_commit_callbacks):
    from django.db import connection

    fields = len([f for f in Notification._meta.local_concrete_fields if not f.primary_key])
    batch = (connection.features.max_query_params or 65535) // fields
    handler = district.user("handler_a")
    many = [Recipient(handler.pk, district.street_a, f"139{i:08d}") for i in range(batch + 3)]
    from dispatch.notify import Message, notifications_add_many

    with django_capture_on_commit_callbacks():
        ids = notifications_add_many(messages=[Message([r], "x", f"bulk{i}", None, None) for i, r in enumerate(many)])
    assert len(many) > batch  # more than one statement's worth
    assert len(ids) == len(many) == Notification.objects.filter(dedupe_key__startswith="bulk").count()


@override_settings(HOTLINE_NOTIFY_BACKEND=f"{__name__}.ListBackend")
def test_a_claimed_notification_is_sent_once_even_if_two_tasks_get_it(district):
    [pk] = notifications_add(recipients=_recipients(district, "handler_a"), text="新工单", key="ev2")
    assert notifications_send(ids=[pk]) == [] and _state(pk) == NotificationState.SENT
    assert notifications_send(ids=[pk]) == []  # already sent: not claimed again
    assert delivered == [f"ev2:u{district.user('handler_a').pk}:sms"]


class KeepingBackend:
    got: list = []

    def send(self, notification):
        KeepingBackend.got.append(notification)


@override_settings(HOTLINE_NOTIFY_BACKEND=f"{__name__}.KeepingBackend")
def test_the_claim_hands_the_backend_the_rows_as_claimed_in_one_statement(district, django_assert_num_queries):
    KeepingBackend.got = []
    ids = notifications_add(recipients=_recipients(district, "handler_a", "supervisor_a"), text="新工单", key="ev8")
    now = timezone.now()
    with django_assert_num_queries(2):  # the claim (UPDATE … RETURNING the rows) and "sent"
        assert notifications_send(ids=ids, now=now) == []
    got = KeepingBackend.got
    assert [n.pk for n in got] == sorted(ids)
    assert all(
        (n.state, n.attempts, n.claimed_at, n.text, n.channel) == (NotificationState.SENDING, 1, now, "新工单", "sms")
        for n in got
    )
    assert [n.dedupe_key for n in got] == list(
        Notification.objects.filter(pk__in=ids).order_by("pk").values_list("dedupe_key", flat=True)
    )
    assert {_state(pk) for pk in ids} == {NotificationState.SENT}


@override_settings(HOTLINE_NOTIFY_BACKEND=f"{__name__}.BrokenBackend", HOTLINE_NOTIFY_MAX_ATTEMPTS=2)
def test_failed_sends_are_retried_until_the_attempt_limit(district):
    [pk] = notifications_add(recipients=_recipients(district, "handler_a"), text="x", key="ev3")
    assert notifications_send(ids=[pk]) == [pk]  # to be retried
    assert Notification.objects.get(pk=pk).state == NotificationState.PENDING
    assert notifications_send(ids=[pk]) == []  # the last attempt: given up, visible in the admin
    row = Notification.objects.get(pk=pk)
    assert row.state == NotificationState.FAILED and row.attempts == 2 and "gateway down" in row.last_error


@override_settings(HOTLINE_NOTIFY_BACKEND=f"{__name__}.ListBackend")
def test_sweeper_sends_what_a_lost_message_or_a_dead_worker_left(district):
    old = timezone.now() - timedelta(minutes=10)
    lost = Notification.objects.create(
        recipient=district.user("handler_a"), text="a", dedupe_key="lost", created_at=old
    )
    orphan = Notification.objects.create(
        recipient=district.user("handler_a"),
        text="b",
        dedupe_key="orphan",
        created_at=old,
        state="sending",
        claimed_at=old,
    )
    fresh = Notification.objects.create(
        recipient=district.user("handler_a"), text="c", dedupe_key="fresh", created_at=timezone.now()
    )
    assert notifications_sweep() == 2
    assert sorted(delivered) == ["lost", "orphan"]
    assert Notification.objects.get(pk=fresh.pk).state == NotificationState.PENDING  # its own task is on the way
    assert {Notification.objects.get(pk=p).state for p in (lost.pk, orphan.pk)} == {NotificationState.SENT}


def test_http_sms_backend_posts_to_the_gateway_with_the_message_id(district):
    received = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Authorization"], self.headers["Idempotency-Key"], json.loads(body)))
            self.send_response(200 if len(received) == 1 else 503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    district.street_a.contact_phone = "010-12345678"
    district.street_a.save()
    try:
        with override_settings(
            HOTLINE_NOTIFY_BACKEND="dispatch.backends.HttpSmsBackend",
            HOTLINE_SMS_URL=f"http://127.0.0.1:{server.server_port}/send",
            HOTLINE_SMS_TOKEN="t0k",
        ):
            first, second = notifications_add(
                recipients=_recipients(district, "handler_a", "supervisor_a"), text="新工单", key="ev4"
            )
            assert notifications_send(ids=[first]) == [] and _state(first) == NotificationState.SENT
            assert notifications_send(ids=[second]) == [second]  # 503: retried later
            assert _state(second) == NotificationState.PENDING
    finally:
        server.shutdown()
    auth, key, body = received[0]
    mobile = Notification.objects.get(dedupe_key=key).recipient.staff_phone.mobile
    assert auth == "Bearer t0k" and key == body["id"] and body == {"id": key, "to": mobile, "text": "新工单"}


def test_an_sms_goes_to_the_persons_own_mobile(district):
    [pk] = notifications_add(recipients=_recipients(district, "handler_a"), text="新工单", key="ev5")
    assert Notification.objects.get(pk=pk).address == district.user("handler_a").staff_phone.mobile


def test_people_without_a_mobile_share_one_sms_on_their_units_duty_phone(district):
    """Two handlers of street A without mobiles: one message on the street's duty phone,
    not two copies; a third person with a mobile still gets their own."""
    district.street_a.contact_phone = "010-12345678"
    district.street_a.save()
    recipients = _recipients(district, "handler_a", "supervisor_a", own_mobile=False)
    recipients += _recipients(district, "handler_community_a")
    ids = notifications_add(recipients=recipients, text="新工单", key="ev6")
    rows = Notification.objects.filter(pk__in=ids).order_by("address")
    assert [r.address for r in rows] == ["010-12345678", district.user("handler_community_a").staff_phone.mobile]
    again = notifications_add(
        recipients=_recipients(district, "supervisor_a", own_mobile=False), text="新工单", key="ev6"
    )
    assert again == []  # the duty phone already has this message


def test_recipients_are_found_with_their_own_mobiles(district):
    from dispatch.notify import unit_handlers

    [handler] = unit_handlers(district.street_a)
    assert handler.mobile == district.user("handler_a").staff_phone.mobile


def _state(pk: int) -> str:
    return Notification.objects.values_list("state", flat=True).get(pk=pk)
