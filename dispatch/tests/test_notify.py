import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from dispatch.models import Notification, NotificationState
from dispatch.notify import Recipient, notification_send, notifications_add, notifications_send, notifications_sweep

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


def _recipients(district, *names):
    return [Recipient(district.user(n).pk, district.street_a) for n in names]


def test_the_same_event_never_notifies_the_same_person_twice(district, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        first = notifications_add(recipients=_recipients(district, "handler_a", "handler_a"), text="x", key="ev1")
        again = notifications_add(recipients=_recipients(district, "handler_a", "supervisor_a"), text="x", key="ev1")
    assert len(first) == 1 and len(again) == 1  # only supervisor_a is new
    assert Notification.objects.filter(dedupe_key__startswith="ev1:").count() == 2


@override_settings(HOTLINE_NOTIFY_BACKEND=f"{__name__}.ListBackend")
def test_a_claimed_notification_is_sent_once_even_if_two_tasks_get_it(district):
    [pk] = notifications_add(recipients=_recipients(district, "handler_a"), text="新工单", key="ev2")
    assert notification_send(notification_id=pk) == NotificationState.SENT
    assert notification_send(notification_id=pk) == "skipped"
    assert delivered == [f"ev2:u{district.user('handler_a').pk}:sms"]


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
            assert notification_send(notification_id=first) == NotificationState.SENT
            assert notification_send(notification_id=second) == NotificationState.PENDING  # 503: retried later
    finally:
        server.shutdown()
    auth, key, body = received[0]
    assert auth == "Bearer t0k" and key == body["id"] and body == {"id": key, "to": "010-12345678", "text": "新工单"}
