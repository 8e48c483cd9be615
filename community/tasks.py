"""Celery tasks of the community app: parse, call a service."""

from __future__ import annotations

from celery import shared_task

from community.upstream import upstream_report_deliver
from hotline.logging import bind_order_id
from workorders.models import FollowUp
from workorders.outbox import follow_ups_drain
from workorders.transitions import UPSTREAM

UPSTREAM_REPORT = UPSTREAM


def _report(order_id: int, event_id: int) -> None:
    bind_order_id(order_id)
    # The row is ours (locked by the drain); its count before this try, plus this one.
    tried = FollowUp.objects.filter(event_id=event_id, task=UPSTREAM_REPORT).values_list("attempts", flat=True)
    upstream_report_deliver(event_id=event_id, attempt=(tried.first() or 0) + 1)


@shared_task(name=UPSTREAM_REPORT, bind=True)
def upstream_report(self) -> dict:
    """Drain the reports to the city platform (the message only says "there is work")."""
    result = follow_ups_drain(task=UPSTREAM_REPORT, handler=_report)
    if result.more:
        self.apply_async()
    return {"done": result.done, "retried": result.retried, "failed": result.failed}


@shared_task(name="community.revisit_scan")
def revisit_scan() -> int:
    """Make the 回头看 revisits that fell due (hourly; safe to run twice at once)."""
    from community.revisits import revisit_scan as scan

    return scan()


def _route(order_id: int, event_id: int) -> None:
    from community.routing import channel_route

    bind_order_id(order_id)
    channel_route(order_id=order_id)


@shared_task(name="community.channel_route", bind=True)
def channel_route(self) -> dict:
    """Drain the submissions of channels an admin may route community first."""
    result = follow_ups_drain(task="community.channel_route", handler=_route)
    if result.more:
        self.apply_async()
    return {"done": result.done, "retried": result.retried, "failed": result.failed}
