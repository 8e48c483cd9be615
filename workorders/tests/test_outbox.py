"""The follow-up outbox (workorders/outbox.py) on the default database: rows written
with their event, claimed and run once, retried with backoff, failed visibly, swept
when their message is lost."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from dispatch.models import DispatchQueueEntry, Notification
from dispatch.services import dispatch_queue_unrouted
from workorders import outbox
from workorders.choices import Status
from workorders.models import CalendarDay, FollowUp
from workorders.services import work_order_assign
from workorders.workflow import suppress_follow_ups


@pytest.fixture
def nudges(monkeypatch):
    """Every nudge the outbox sends, instead of sending it (the rows are what matter)."""
    sent: list[list[str]] = []
    # Names left by an earlier test whose transaction never committed (the test's own
    # rollback) would ride along with this test's first nudge, as the module says.
    monkeypatch.setattr(outbox._pending, "names", set(), raising=False)
    monkeypatch.setattr(outbox, "follow_ups_nudge", lambda *, tasks: sent.append(list(tasks)))
    return sent


def assign(district, order, **kwargs):
    return work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a, **kwargs)


def test_an_assignment_records_its_follow_up_in_its_own_transaction(district, log_call, nudges):
    order = log_call()
    with pytest.raises(RuntimeError), transaction.atomic():
        assign(district, order)
        assert FollowUp.objects.filter(order=order).count() == 1
        raise RuntimeError("the user's transaction fails after the event")
    assert not FollowUp.objects.filter(order=order).exists()  # no event, no follow-up
    assign(district, order)
    row = FollowUp.objects.get(order=order)
    assert (row.task, row.state, row.event.kind, row.attempts) == ("dispatch.on_event", "pending", "assign", 0)


def test_a_held_call_and_the_demo_seed_record_nothing(district, log_call):
    log_call(auto_dispatch=False)
    with suppress_follow_ups():
        assign(district, log_call(auto_dispatch=True))
    assert not FollowUp.objects.exists()


def test_many_events_in_one_commit_send_one_nudge_per_task(
    district, log_call, nudges, django_capture_on_commit_callbacks
):
    orders = [log_call() for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for order in orders:
            assign(district, order)
        log_call(auto_dispatch=True)
    # five assign notices; the call's routing and its caller receipt
    assert FollowUp.objects.filter(state="pending").count() == 7
    assert nudges == [["dispatch.on_event", "dispatch.route_order"]]


def test_a_drained_follow_up_runs_once_and_a_second_drain_finds_nothing(district, log_call, nudges):
    assign(district, log_call())
    calls = []
    first = outbox.follow_ups_drain(task="dispatch.on_event", handler=lambda o, e: calls.append((o, e)))
    second = outbox.follow_ups_drain(task="dispatch.on_event", handler=lambda o, e: calls.append((o, e)))
    row = FollowUp.objects.get()
    assert (first.done, second.done, len(calls)) == (1, 0, 1)
    assert calls == [(row.order_id, row.event_id)]
    assert row.state == "done" and row.attempts == 1 and row.done_at is not None


def test_a_failing_handler_is_rolled_back_and_retried_after_a_backoff(district, log_call, nudges):
    assign(district, log_call())

    def broken(order_id, event_id):
        CalendarDay.objects.create(date="2030-01-01", is_workday=False)  # must not survive
        raise ValueError("gateway said no")

    before = timezone.now()
    result = outbox.follow_ups_drain(task="dispatch.on_event", handler=broken)
    row = FollowUp.objects.get()
    assert (result.done, result.retried, result.failed) == (0, 1, 0)
    assert not CalendarDay.objects.filter(date="2030-01-01").exists()
    assert row.state == "pending" and row.attempts == 1 and row.last_error == "ValueError: gateway said no"
    assert row.available_at >= before + timedelta(seconds=5)
    # Not due yet: a drain right now leaves it alone.
    assert outbox.follow_ups_drain(task="dispatch.on_event", handler=broken).retried == 0


@override_settings(HOTLINE_OUTBOX_BACKOFF=5)
def test_backoff_doubles_and_is_capped():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert outbox.backoff(30).total_seconds() == 3600


@override_settings(HOTLINE_OUTBOX_MAX_ATTEMPTS=3)
def test_after_the_last_attempt_the_row_is_failed_and_the_admin_can_retry_it(district, log_call, nudges, client):
    admin_client = client
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw-root"))
    assign(district, log_call())

    def broken(order_id, event_id):
        raise ValueError("still broken")

    for _attempt in range(3):
        FollowUp.objects.update(available_at=timezone.now() - timedelta(seconds=1))
        outbox.follow_ups_drain(task="dispatch.on_event", handler=broken)
    row = FollowUp.objects.get()
    assert row.state == "failed" and row.attempts == 3

    page = admin_client.get("/admin/workorders/followup/?state=failed")
    assert page.status_code == 200 and "still broken" not in page.content.decode()  # list shows state, not error
    assert str(row.order.number) in page.content.decode()
    detail = admin_client.get(f"/admin/workorders/followup/{row.pk}/change/")
    assert "still broken" in detail.content.decode()

    admin_client.post("/admin/workorders/followup/", {"action": "retry", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.state == "pending" and row.attempts == 0
    assert outbox.follow_ups_drain(task="dispatch.on_event", handler=lambda o, e: None).done == 1


def test_the_sweeper_finds_only_rows_nobody_claimed_within_the_grace(district, log_call, nudges):
    assign(district, log_call())
    now = timezone.now()
    assert outbox.follow_ups_due(grace=timedelta(seconds=5), now=now) == []
    assert outbox.follow_ups_due(grace=timedelta(seconds=5), now=now + timedelta(seconds=6)) == ["dispatch.on_event"]
    outbox.follow_ups_drain(task="dispatch.on_event", handler=lambda o, e: None)
    assert outbox.follow_ups_due(grace=timedelta(0), now=now + timedelta(seconds=6)) == []


def test_done_rows_are_purged_after_their_keeping_time(district, log_call, nudges):
    assign(district, log_call())
    outbox.follow_ups_drain(task="dispatch.on_event", handler=lambda o, e: None)
    assert outbox.follow_ups_purge(older_than=timedelta(days=7)) == 0
    assert outbox.follow_ups_purge(older_than=timedelta(days=7), now=timezone.now() + timedelta(days=8)) == 1


@override_settings(HOTLINE_OUTBOX_GRACE=0)
def test_lost_messages_are_made_good_by_the_sweep_exactly_once(district, log_call, django_capture_on_commit_callbacks):
    """The nudges of an intake and an assignment are lost (their on-commit callbacks
    never run); beat's sweep routes the order and sends the new-order SMS, once each,
    however often it runs."""
    from dispatch.tasks import sweep_follow_ups

    with django_capture_on_commit_callbacks(execute=False):  # the commit happens, the messages are lost
        routed = log_call(auto_dispatch=True)
        assigned = assign(district, log_call())
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            sweep_follow_ups.apply()
    routed.refresh_from_db()
    assert routed.status == Status.ASSIGNED and routed.current_unit == district.street_a
    for order in (routed, assigned):
        keys = list(Notification.objects.filter(order=order, event__kind="assign").values_list("dedupe_key", flat=True))
        assert len(keys) == len(set(keys)) == 1  # handler_a's SMS, once
    assert set(FollowUp.objects.values_list("state", flat=True)) == {"done"}
    # route + the caller's receipt + its assign's notice, and the manual assign's notice
    assert FollowUp.objects.count() == 4


def test_an_order_whose_routing_is_pending_is_not_handed_to_the_desk(district, log_call, nudges):
    waiting = log_call(auto_dispatch=True)  # its routing row is pending (the workers are away)
    held = log_call(auto_dispatch=False)  # held for an answer on the call: no routing row
    later = timezone.now() + timedelta(hours=1)
    assert dispatch_queue_unrouted(older_than=timedelta(minutes=10), now=later) == 1
    assert list(DispatchQueueEntry.objects.values_list("order_id", flat=True)) == [held.pk]
    assert WorkOrder_status(waiting) == Status.ACCEPTED


def WorkOrder_status(order):  # noqa: N802
    order.refresh_from_db()
    return order.status
