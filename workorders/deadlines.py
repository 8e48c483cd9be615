"""Opening and closing stage timers inside the transition's transaction.

A transition loads the order's open deadlines once (``OpenDeadlines``), closes and
opens rows through it, and reads the nearest due time from it without another query.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings

from grids.models import OrgUnit
from workorders.choices import DeadlineState, Stage
from workorders.limits import WorkCalendar, add_limit, warn_time
from workorders.models import Deadline, WorkOrder

logger = logging.getLogger(__name__)

# Used when a category has no limit for a stage, so an order never runs without a timer.
DEFAULT_LIMITS: dict[str, str] = {Stage.SIGN: "1wd", Stage.CONTACT: "1wd", Stage.HANDLE: "15wd", Stage.CALLBACK: "3wd"}


def limit_for(order: WorkOrder, stage: str) -> tuple[str, bool]:
    """(limit text, fell back to default?) for a stage of this order."""
    if stage == Stage.RETURN_REVIEW:  # the center's own limit, the same for every category
        return f"{settings.HOTLINE_RETURN_REVIEW_WORKDAYS}wd", False
    text = order.category.limit_for(stage, order.urgency) if order.category is not None else ""
    if text:
        return text, False
    logger.warning(
        "Order %s: category %s has no %s limit; using %s",
        order.number,
        order.category_id,
        stage,
        DEFAULT_LIMITS[stage],
    )
    return DEFAULT_LIMITS[stage], True


class OpenDeadlines:
    """The open timers of one (locked) order, keyed by stage."""

    def __init__(self, order: WorkOrder) -> None:
        self.order = order
        running = Deadline.objects.filter(order=order, state=DeadlineState.OPEN)
        self.rows: dict[str, Deadline] = {d.stage: d for d in running}
        self._unsaved: list[Deadline] = []  # opened, written together by flush()

    def close(self, stage: str, now: datetime, *, cancel: bool = False) -> Deadline | None:
        deadline = self.rows.pop(stage, None)
        if deadline is None:
            return None
        if deadline.pk is None:  # opened in this transition and not written yet
            self._unsaved.remove(deadline)
            return None
        if cancel:
            deadline.state = DeadlineState.CANCELLED
        else:
            deadline.state = DeadlineState.MET if now <= deadline.due_at else DeadlineState.BREACHED
        deadline.closed_at = now
        deadline.save(update_fields=["state", "closed_at"])
        return deadline

    def open(self, stage: str, unit: OrgUnit | None, now: datetime, calendar: WorkCalendar) -> tuple[Deadline, bool]:
        self.close(stage, now, cancel=True)
        text, fell_back = limit_for(self.order, stage)
        due = add_limit(now, text, calendar)
        deadline = Deadline(
            order=self.order,
            stage=stage,
            unit=unit,
            limit=text,
            opened_at=now,
            warn_at=warn_time(now, due),
            due_at=due,
        )
        self._unsaved.append(deadline)
        self.rows[stage] = deadline
        return deadline, fell_back

    def flush(self) -> None:
        """Write the rows opened since the last flush in one INSERT (an assign opens
        three stages; one statement instead of three on the routing path)."""
        if self._unsaved:
            Deadline.objects.bulk_create(self._unsaved)
            self._unsaved = []

    def cancel_all(self, now: datetime) -> None:
        for stage in list(self.rows):
            self.close(stage, now, cancel=True)

    def nearest_due(self) -> datetime | None:
        return min((d.due_at for d in self.rows.values()), default=None)


def extend_deadline(*, order: WorkOrder, stage: str, new_due: datetime) -> Deadline | None:
    """Move an open stage's due time (an approved extension); the warning re-arms."""
    deadline = Deadline.objects.filter(order=order, stage=stage, state=DeadlineState.OPEN).first()
    if deadline is None:
        return None
    deadline.due_at = new_due
    deadline.warn_at = warn_time(deadline.opened_at, new_due)
    deadline.warned_at = None
    deadline.breached_at = None
    deadline.extended_count += 1
    deadline.save(update_fields=["due_at", "warn_at", "warned_at", "breached_at", "extended_count"])
    return deadline
