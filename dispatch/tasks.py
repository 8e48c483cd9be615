"""Celery tasks: parse arguments, call a service. Sent by name (the workorders core
queues them after commit without importing this app)."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from dispatch import calendar as work_calendar
from dispatch.follow_ups import callback_retries_remind, event_follow_up
from dispatch.notify import SEND_FOLLOW_UP, notifications_send, notifications_send_of_event, notifications_sweep
from dispatch.retention import retention_anonymise_expired
from dispatch.scan import deadline_scan
from dispatch.services import dispatch_queue_unrouted
from dispatch.services import route_order as route_order_service
from hotline.logging import bind_order_id
from workorders.errors import InvalidTransition
from workorders.outbox import follow_ups_drain, follow_ups_due, follow_ups_nudge, follow_ups_purge

logger = logging.getLogger(__name__)

# An accepted order this old that is neither assigned nor queued lost its routing
# message (or was held back for an answer on the call that never came).
UNROUTED_AFTER = timedelta(minutes=10)


def _route(order_id: int, event_id: int) -> None:
    bind_order_id(order_id)  # the order number on this row's log lines (hotline/logging.py)
    # A dispatcher may have moved the order first; then there is nothing to route.
    with contextlib.suppress(InvalidTransition):
        route_order_service(order_id=order_id)


def _follow_up(order_id: int, event_id: int) -> None:
    bind_order_id(order_id)
    event_follow_up(event_id=event_id)


def _send_of_event(order_id: int, event_id: int) -> None:
    bind_order_id(order_id)
    notifications_send_of_event(event_id=event_id)


# Outbox rows by task name → what runs them (workorders/outbox.py). The workorders core
# records rows under these names; only this interface module knows the handlers.
FOLLOW_UP_HANDLERS = {
    "dispatch.route_order": _route,
    "dispatch.on_event": _follow_up,
    SEND_FOLLOW_UP: _send_of_event,
}


def _drain(task, name: str, legacy_args: tuple) -> dict:
    if legacy_args:
        # A message with ids comes from a process of the release before the outbox; run
        # it as that release did (the handlers are idempotent), then drain as usual.
        FOLLOW_UP_HANDLERS[name](*legacy_args[:2])
    result = follow_ups_drain(task=name, handler=FOLLOW_UP_HANDLERS[name])
    if result.more:
        task.apply_async()  # the rest in a fresh message, so other queued work interleaves
    return {"done": result.done, "retried": result.retried, "failed": result.failed}


# Each task drains its own rows; the message only means "there is work" (no ids), so
# one message per commit serves any number of rows and a lost one loses nothing.
@shared_task(name="dispatch.route_order", bind=True)
def route_order(self, *legacy_args) -> dict:
    return _drain(self, "dispatch.route_order", legacy_args)


@shared_task(name="dispatch.on_event", bind=True)
def on_event(self, *legacy_args) -> dict:
    return _drain(self, "dispatch.on_event", legacy_args)


@shared_task(name=SEND_FOLLOW_UP, bind=True)
def send_event_notifications(self) -> dict:
    """Send the notifications a web request wrote for an event (notifications_add_many's
    by_follow_up): the request sends no broker message, the relay wakes this drain."""
    return _drain(self, SEND_FOLLOW_UP, ())


@shared_task(name="dispatch.sweep_follow_ups")
def sweep_follow_ups() -> dict:
    """Nudge the workers of follow-ups nobody claimed (their message was lost, a worker
    died, a backoff passed) and drop done rows past their keeping time."""
    due = follow_ups_due()
    follow_ups_nudge(tasks=due)
    purged = follow_ups_purge(older_than=timedelta(days=settings.HOTLINE_OUTBOX_KEEP_DAYS))
    if due:
        logger.info("Follow-up sweep: nudged %s", ", ".join(due))
    return {"nudged": due, "purged": purged}


@shared_task(name="dispatch.send_notifications", bind=True, max_retries=5)
def send_notifications(self, ids: list[int]) -> None:
    failed = notifications_send(ids=ids)
    if failed:
        # Backoff 10 s, 20 s, 40 s …; after the last retry the sweeper keeps trying
        # until the row's own attempt limit marks it failed.
        raise self.retry(args=(failed,), countdown=10 * 2**self.request.retries)


@shared_task(name="dispatch.scan_deadlines")
def scan_deadlines() -> dict:
    result = deadline_scan()
    reminded = callback_retries_remind()
    return {"warned": result.warned, "breached": result.breached, "escalated": result.escalated, "reminded": reminded}


@shared_task(name="dispatch.sweep")
def sweep() -> dict:
    sent = notifications_sweep()
    queued = dispatch_queue_unrouted(older_than=UNROUTED_AFTER)
    if sent or queued:
        logger.info("Sweep: %s notifications sent, %s unrouted orders queued for dispatchers", sent, queued)
    return {"sent": sent, "queued": queued}


@shared_task(name="dispatch.check_calendar")
def check_calendar() -> list[int]:
    return work_calendar.calendar_check()


@shared_task(name="dispatch.retention")
def retention() -> int:
    """Orders closed, and key residents off the roll, for longer than their retention
    periods lose their personal data; returns how many of both."""
    from care.retention import care_anonymise_expired

    return len(retention_anonymise_expired().orders) + len(care_anonymise_expired().residents)
