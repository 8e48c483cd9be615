"""The deadline scan: warnings (黄灯), breaches with an urge (红灯/督办), escalation.

Exactly once, by the database: each phase claims rows with
``SELECT … FOR UPDATE SKIP LOCKED`` over the partial indexes on open deadlines (so two
scanners never hold the same row), re-checks the row's mark with a conditional UPDATE,
and writes the mark, the audit event and the notification rows in one transaction. A
killed worker rolls its batch back and the next scan redoes it; a finished batch is
marked and so is never picked up again.

Lock order matches the workflow's (order row, then its deadlines): the order row is
taken with SKIP LOCKED too, so a scanner never waits on a person's transaction and the
two can never deadlock; an order busy right now is simply handled on the next scan.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.alerts import alert_raise
from dispatch.notify import center_members, notifications_add, unit_handlers, unit_supervisors
from workorders.choices import TERMINAL_STATUSES, DeadlineState, Stage
from workorders.models import Deadline, Event, WorkOrder
from workorders.workflow import Step, transition

logger = logging.getLogger(__name__)

WARN, BREACH, ESCALATE = "warn", "breach", "escalate"
PHASES = (BREACH, WARN, ESCALATE)


@dataclass
class ScanResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0
    skipped: int = 0  # order busy (locked by a person) or row already handled
    failed: int = 0
    handled_ids: list[tuple[str, int]] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.warned + self.breached + self.escalated


def database_now() -> datetime:
    """The database's clock: every worker compares due times with the same clock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            return cursor.fetchone()[0]
    return timezone.now()


def _due(phase: str, now: datetime) -> Q:
    open_ = Q(state=DeadlineState.OPEN)
    if phase == WARN:
        # Served by the partial index deadline_to_warn. A row already due is left to the
        # breach phase: a warning after the fact helps nobody.
        return open_ & Q(warned_at__isnull=True, warn_at__lte=now, due_at__gt=now)
    if phase == BREACH:
        return open_ & Q(breached_at__isnull=True, due_at__lte=now)  # partial index deadline_to_breach
    late = now - timedelta(minutes=settings.HOTLINE_ESCALATE_AFTER_MINUTES)
    return open_ & Q(breached_at__isnull=False, escalated_at__isnull=True, due_at__lte=late)


_ORDER_FIELD = {WARN: "warn_at", BREACH: "due_at", ESCALATE: "due_at"}


def _fmt(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%m-%d %H:%M")


def _record(order: WorkOrder, kind: str, deadline: Deadline, now: datetime, note: str) -> Event:
    payload = {"deadline": deadline.pk, "stage": deadline.stage, "due_at": deadline.due_at.isoformat()}
    transition(order=order.pk, kind=kind, actor=None, note=note, now=now, change=lambda o, m, at: Step(payload=payload))
    return Event.objects.filter(order=order, kind=kind).order_by("-seq").first()


def _warn(order: WorkOrder, d: Deadline, now: datetime) -> bool:
    if not Deadline.objects.filter(pk=d.pk, state=DeadlineState.OPEN, warned_at__isnull=True).update(warned_at=now):
        return False
    stage = Stage(d.stage).label
    note = _("「%(stage)s」环节将于 %(due)s 到期。") % {"stage": stage, "due": _fmt(d.due_at)}
    event = _record(order, "deadline_warn", d, now, note)
    unit = order.current_unit or d.unit
    notifications_add(
        recipients=unit_handlers(unit),
        text=_("【12345黄灯】工单%(n)s「%(t)s」%(note)s请及时办理。")
        % {"n": order.number, "t": order.title, "note": note},
        key=f"dl{d.pk}.{d.extended_count}.warn",
        order=order,
        event=event,
        now=now,
    )
    return True


def _breach(order: WorkOrder, d: Deadline, now: datetime) -> bool:
    marked = Deadline.objects.filter(pk=d.pk, state=DeadlineState.OPEN, breached_at__isnull=True).update(
        breached_at=now, warned_at=Coalesce("warned_at", now)
    )
    if not marked:
        return False
    stage = Stage(d.stage).label
    note = _("「%(stage)s」环节已于 %(due)s 超时，系统督办。") % {"stage": stage, "due": _fmt(d.due_at)}
    event = _record(order, "deadline_urge", d, now, note)
    unit = order.current_unit or d.unit
    notifications_add(
        recipients=unit_handlers(unit) + unit_supervisors(unit),
        text=_("【12345红灯】工单%(n)s「%(t)s」%(note)s") % {"n": order.number, "t": order.title, "note": note},
        key=f"dl{d.pk}.{d.extended_count}.breach",
        order=order,
        event=event,
        now=now,
    )
    return True


def _escalate(order: WorkOrder, d: Deadline, now: datetime) -> bool:
    if not Deadline.objects.filter(pk=d.pk, state=DeadlineState.OPEN, escalated_at__isnull=True).update(
        escalated_at=now
    ):
        return False
    stage = Stage(d.stage).label
    unit = order.current_unit or d.unit
    note = _("「%(stage)s」环节超时未办（到期 %(due)s，承办单位：%(u)s），升级至中心督办。") % {
        "stage": stage,
        "due": _fmt(d.due_at),
        "u": unit.name if unit else "—",
    }
    event = _record(order, "deadline_escalate", d, now, note)
    notifications_add(
        recipients=center_members("supervisor"),
        text=_("【12345升级督办】工单%(n)s「%(t)s」%(note)s") % {"n": order.number, "t": order.title, "note": note},
        key=f"dl{d.pk}.{d.extended_count}.escalate",
        order=order,
        event=event,
        now=now,
    )
    return True


_HANDLERS = {WARN: _warn, BREACH: _breach, ESCALATE: _escalate}
_COUNTERS = {WARN: "warned", BREACH: "breached", ESCALATE: "escalated"}


def _scan_batch(phase: str, now: datetime, batch_size: int, result: ScanResult) -> tuple[int, int]:
    """One transaction: claim up to batch_size due rows, handle each. (rows seen, handled)."""
    handled = 0
    with transaction.atomic():
        rows = list(
            Deadline.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(_due(phase, now))
            .order_by(_ORDER_FIELD[phase])[:batch_size]
        )
        for d in rows:
            try:
                with transaction.atomic():  # a savepoint: one bad row must not undo the batch
                    order = (
                        WorkOrder.objects.select_for_update(skip_locked=True, of=("self",))
                        .select_related("current_unit")
                        .filter(pk=d.order_id)
                        .first()
                    )
                    if order is None:
                        result.skipped += 1
                        continue
                    if order.status in TERMINAL_STATUSES:
                        # Should not happen (closing an order cancels its timers); repair it
                        # rather than fail on this row at every scan.
                        Deadline.objects.filter(pk=d.pk).update(state=DeadlineState.CANCELLED, closed_at=now)
                        alert_raise(
                            key=f"deadline-open-on-closed-{d.pk}", message=f"时限 {d.pk} 的工单已办结，已取消。"
                        )
                        continue
                    if _HANDLERS[phase](order, d, now):
                        handled += 1
                        setattr(result, _COUNTERS[phase], getattr(result, _COUNTERS[phase]) + 1)
                        result.handled_ids.append((phase, d.pk))
                    else:
                        result.skipped += 1
            except Exception as exc:  # logged and alerted; the row stays due for the next scan
                result.failed += 1
                logger.exception("Deadline %s (%s) failed", d.pk, phase)
                alert_raise(key=f"deadline-scan-{phase}-{d.pk}", message=f"时限 {d.pk} 处理失败（{phase}）：{exc}")
    return len(rows), handled


def deadline_scan(*, now: datetime | None = None, batch_size: int | None = None, max_batches: int = 1000) -> ScanResult:
    """Handle every deadline whose warn, due or escalation time has passed."""
    now = now or database_now()
    batch_size = batch_size or settings.HOTLINE_SCAN_BATCH
    result = ScanResult()
    for phase in PHASES:
        for _batch in range(max_batches):
            seen, handled = _scan_batch(phase, now, batch_size, result)
            # Stop at the end of the due rows, or when every row left is busy (locked
            # orders are retried by the next scan instead of spinning here).
            if seen < batch_size or handled == 0:
                break
    if result.handled or result.failed:
        logger.info(
            "Deadline scan: %s warned, %s breached, %s escalated, %s skipped, %s failed",
            result.warned,
            result.breached,
            result.escalated,
            result.skipped,
            result.failed,
        )
    return result
