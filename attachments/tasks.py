"""Celery task for attachments: drains the ``attachments.process`` outbox rows."""

from __future__ import annotations

from celery import shared_task

from attachments.processing import attachments_process_waiting
from attachments.services import PROCESS_TASK
from hotline.logging import bind_order_id
from workorders.outbox import follow_ups_drain


def _process(order_id: int, event_id: int) -> None:
    bind_order_id(order_id)
    attachments_process_waiting(order_id=order_id)


# The message only means "there is work" (no ids); the rows say which orders.
@shared_task(name=PROCESS_TASK, bind=True)
def process(self) -> dict:
    result = follow_ups_drain(task=PROCESS_TASK, handler=_process)
    if result.more:
        self.apply_async()  # the rest in a fresh message, so other queued work interleaves
    return {"done": result.done, "retried": result.retried, "failed": result.failed}
