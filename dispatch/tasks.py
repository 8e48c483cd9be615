"""Celery tasks: parse arguments, call a service. Sent by name (the workorders core
queues them after commit without importing this app)."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from dispatch import calendar as work_calendar
from dispatch.follow_ups import callback_retries_remind, event_follow_up
from dispatch.models import DispatchQueueEntry, QueueState
from dispatch.notify import notifications_send, notifications_sweep
from dispatch.scan import deadline_scan
from dispatch.services import route_order as route_order_service
from workorders.choices import Status
from workorders.errors import InvalidTransition
from workorders.models import WorkOrder

logger = logging.getLogger(__name__)

# An accepted order older than this with no queue entry lost its routing message.
REROUTE_AFTER = timedelta(minutes=2)


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
    rerouted = 0
    waiting = WorkOrder.objects.filter(status=Status.ACCEPTED, updated_at__lt=timezone.now() - REROUTE_AFTER)
    queued = DispatchQueueEntry.objects.filter(state=QueueState.OPEN).values("order_id")
    for order_id in waiting.exclude(pk__in=queued).values_list("pk", flat=True)[:200]:
        with contextlib.suppress(InvalidTransition):
            route_order_service(order_id=order_id)
            rerouted += 1
    if sent or rerouted:
        logger.info("Sweep: %s notifications sent, %s orders re-routed", sent, rerouted)
    return {"sent": sent, "rerouted": rerouted}


@shared_task(name="dispatch.check_calendar")
def check_calendar() -> list[int]:
    return work_calendar.calendar_check()
