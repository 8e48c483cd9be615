"""Celery tasks: parse arguments, call a service. Sent by name (the workorders core
queues them after commit without importing this app)."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from celery import shared_task

from dispatch import calendar as work_calendar
from dispatch.follow_ups import callback_retries_remind, event_follow_up
from dispatch.notify import notifications_send, notifications_sweep
from dispatch.scan import deadline_scan
from dispatch.services import dispatch_queue_unrouted
from dispatch.services import route_order as route_order_service
from workorders.errors import InvalidTransition

logger = logging.getLogger(__name__)

# An accepted order this old that is neither assigned nor queued lost its routing
# message (or was held back for an answer on the call that never came).
UNROUTED_AFTER = timedelta(minutes=10)


@shared_task(name="dispatch.route_order")
def route_order(order_id: int, event_id: int | None = None) -> None:
    # A dispatcher may have moved the order first; then there is nothing to route.
    with contextlib.suppress(InvalidTransition):
        route_order_service(order_id=order_id)


@shared_task(name="dispatch.on_event")
def on_event(order_id: int, event_id: int) -> None:
    event_follow_up(event_id=event_id)


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
