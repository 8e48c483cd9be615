from datetime import timedelta

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from dispatch import scan as scan_module
from dispatch.models import Notification, SystemAlert
from dispatch.scan import deadline_scan
from workorders.choices import DeadlineState, Stage
from workorders.models import Deadline, Event
from workorders.services import (
    work_order_approve_extension,
    work_order_assign,
    work_order_request_extension,
    work_order_sign,
)


@pytest.fixture
def assigned(district, log_call):
    t0 = timezone.now() - timedelta(hours=3)

    def _assigned(at=t0):
        order = log_call(now=at)
        return work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a, now=at)

    _assigned.t0 = t0
    return _assigned


def _recipients(order, kind):
    return sorted(
        Notification.objects.filter(order=order, event__kind=kind).values_list("recipient__username", flat=True)
    )


def test_warning_breach_and_escalation_each_happen_once_and_leave_the_version_alone(district, assigned):
    order = assigned()
    t0, version = assigned.t0, order.version
    sign = Deadline.objects.get(order=order, stage=Stage.SIGN)

    first = deadline_scan(now=t0 + timedelta(minutes=23))  # sign warns at 22.5 min (75 % of 30)
    assert (first.warned, first.breached) == (1, 0)
    assert _recipients(order, "deadline_warn") == ["handler_a"]
    assert deadline_scan(now=t0 + timedelta(minutes=23)).handled == 0

    late = deadline_scan(now=t0 + timedelta(minutes=31))
    assert (late.warned, late.breached) == (0, 1)
    assert _recipients(order, "deadline_urge") == ["handler_a", "supervisor_a"]
    sign.refresh_from_db()
    assert sign.breached_at is not None and sign.state == DeadlineState.OPEN

    with override_settings(HOTLINE_ESCALATE_AFTER_MINUTES=60):
        assert deadline_scan(now=t0 + timedelta(minutes=89)).escalated == 0
        assert deadline_scan(now=t0 + timedelta(minutes=91)).escalated == 1
        assert deadline_scan(now=t0 + timedelta(minutes=95)).escalated == 0
    assert _recipients(order, "deadline_escalate") == ["supervisor"]

    kinds = list(Event.objects.filter(order=order, payload__deadline=sign.pk).values_list("kind", flat=True))
    assert kinds == ["deadline_warn", "deadline_urge", "deadline_escalate"]
    order.refresh_from_db()
    assert order.version == version  # a person holding the old version gets no 409
    # The stage's own transition closes the row as breached.
    work_order_sign(order=order, actor=district.user("handler_a"), expected_version=version)
    sign.refresh_from_db()
    assert sign.state == DeadlineState.BREACHED


def test_a_row_found_already_due_is_breached_without_a_late_warning(district, assigned):
    order = assigned()
    result = deadline_scan(now=assigned.t0 + timedelta(minutes=40))
    assert (result.warned, result.breached) == (0, 1)
    assert not Event.objects.filter(order=order, kind="deadline_warn").exists()
    assert Deadline.objects.get(order=order, stage=Stage.SIGN).warned_at is not None


def test_approved_extension_moves_the_due_time_and_rearms_the_warning(district, assigned):
    order = assigned()
    t0 = assigned.t0
    order = work_order_sign(order=order, actor=district.user("handler_a"), now=t0 + timedelta(minutes=5))
    handle = Deadline.objects.get(order=order, stage=Stage.HANDLE, state="open")
    deadline_scan(now=handle.warn_at + timedelta(minutes=1))
    handle.refresh_from_db()
    assert handle.warned_at is not None
    new_due = handle.due_at + timedelta(days=7)
    work_order_request_extension(
        order=order, actor=district.user("handler_a"), proposed_due=new_due, reason="需协调多个部门", now=t0
    )
    work_order_approve_extension(order=order, actor=district.user("dispatcher"), now=t0)
    handle.refresh_from_db()
    assert (handle.due_at, handle.warned_at) == (new_due, None)
    assert deadline_scan(now=new_due - timedelta(days=1)).breached == 0
    assert Notification.objects.filter(order=order, event__kind="deadline_warn").count() == 2  # re-armed


def test_a_failing_row_is_alerted_and_the_others_are_still_handled(district, assigned, monkeypatch):
    bad, good = assigned(), assigned()
    real = scan_module._message

    def message(phase, order, d):
        if order.pk == bad.pk:
            raise RuntimeError("boom")
        return real(phase, order, d)

    monkeypatch.setattr(scan_module, "_message", message)
    result = deadline_scan(now=assigned.t0 + timedelta(minutes=40))
    assert (result.breached, result.failed) == (1, 1)
    assert Event.objects.filter(order=good, kind="deadline_urge").exists()
    assert not Event.objects.filter(order=bad, kind="deadline_urge").exists()
    assert Deadline.objects.get(order=bad, stage=Stage.SIGN).breached_at is None  # rolled back with it
    assert SystemAlert.objects.filter(key__startswith="deadline-scan-breach").exists()
    monkeypatch.setattr(scan_module, "_message", real)
    assert deadline_scan(now=assigned.t0 + timedelta(minutes=41)).breached == 1  # picked up next time


def test_beat_runs_the_scan_at_least_every_30_seconds_and_the_sweeper_and_calendar_check():
    from django.conf import settings

    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["dispatch.scan_deadlines"] <= 30
    assert {"dispatch.sweep", "dispatch.check_calendar"} <= set(schedule)
    from hotline.celery import app

    assert {"dispatch.scan_deadlines", "dispatch.sweep", "dispatch.check_calendar"} <= set(app.tasks)


def test_bulk_system_events_need_locked_orders_and_an_audit_only_system_kind(district, assigned):
    from django.db import transaction

    from workorders.errors import InvalidTransition
    from workorders.workflow import record_system_events

    order = assigned()
    now = timezone.now()
    with pytest.raises(ValueError), transaction.atomic():
        record_system_events(kind="assign", entries=[(order, "", {})], now=now)
    order.status = "closed"
    with pytest.raises(InvalidTransition), transaction.atomic():
        record_system_events(kind="deadline_warn", entries=[(order, "", {})], now=now)
    order.refresh_from_db()
    with transaction.atomic():
        events = record_system_events(kind="deadline_warn", entries=[(order, "a", {}), (order, "b", {})], now=now)
    assert [e.seq for e in events] == [3, 4] and {e.actor_role for e in events} == {"system"}
    order.refresh_from_db()
    assert order.version == 2  # log_call=1, assign=2: audit events change nothing else
