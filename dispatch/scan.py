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
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.alerts import alert_raise
from dispatch.notify import Message, Recipient, center_members, notifications_add_many, unit_handlers, unit_supervisors
from workorders.choices import TERMINAL_STATUSES, DeadlineState, Stage
from workorders.models import Deadline, WorkOrder
from workorders.workflow import record_system_events

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


@dataclass(frozen=True)
class Phase:
    kind: str  # the event kind recorded
    counter: str  # the ScanResult field counted
    unset: str  # the mark this phase sets, NULL until then
    fill: tuple[str, ...] = ()  # earlier marks set too if still NULL (a breach implies the warning)


PHASE = {
    WARN: Phase("deadline_warn", "warned", "warned_at"),
    BREACH: Phase("deadline_urge", "breached", "breached_at", ("warned_at",)),
    ESCALATE: Phase("deadline_escalate", "escalated", "escalated_at"),
}


class _Recipients:
    """Who is told, cached per scan: a burst of due rows mostly shares a few units."""

    def __init__(self) -> None:
        self._cache: dict[tuple, list[Recipient]] = {}

    def get(self, phase: str, unit) -> list[Recipient]:
        key = (phase, unit.pk if unit else None)
        if key not in self._cache:
            if phase == WARN:
                found = unit_handlers(unit)
            elif phase == BREACH:
                found = unit_handlers(unit) + unit_supervisors(unit)
            else:
                found = center_members("supervisor")
            self._cache[key] = found
        return self._cache[key]


def _message(phase: str, order: WorkOrder, d: Deadline) -> tuple[str, str]:
    """(event note, notification text) for one due row."""
    stage = Stage(d.stage).label
    if phase == WARN:
        note = _("「%(stage)s」环节将于 %(due)s 到期。") % {"stage": stage, "due": _fmt(d.due_at)}
        text = _("【12345黄灯】工单%(n)s「%(t)s」%(note)s请及时办理。")
    elif phase == BREACH:
        note = _("「%(stage)s」环节已于 %(due)s 超时，系统督办。") % {"stage": stage, "due": _fmt(d.due_at)}
        text = _("【12345红灯】工单%(n)s「%(t)s」%(note)s")
    else:
        unit = order.current_unit or d.unit
        note = _("「%(stage)s」环节超时未办（到期 %(due)s，承办单位：%(u)s），升级至中心督办。") % {
            "stage": stage,
            "due": _fmt(d.due_at),
            "u": unit.name if unit else "—",
        }
        text = _("【12345升级督办】工单%(n)s「%(t)s」%(note)s")
    return note, text % {"n": order.number, "t": order.title, "note": note}


def _handle(phase: str, rows: list[Deadline], orders: dict, now: datetime, recipients: _Recipients) -> None:
    """Mark, record and notify a set of locked rows, in bulk: one UPDATE, one event
    INSERT, one notification INSERT for the lot."""
    spec = PHASE[phase]
    ids = [d.pk for d in rows]
    marks = {spec.unset: now, **{name: Coalesce(F(name), Value(now)) for name in spec.fill}}
    marked = Deadline.objects.filter(pk__in=ids, state=DeadlineState.OPEN, **{f"{spec.unset}__isnull": True}).update(
        **marks
    )
    if marked != len(ids):  # we hold these rows' locks, so this is a bug, never a race
        raise RuntimeError(f"{len(ids) - marked} deadline rows changed under their lock")
    texts = {d.pk: _message(phase, orders[d.order_id], d) for d in rows}
    events = record_system_events(
        kind=spec.kind,
        entries=[
            (
                orders[d.order_id],
                texts[d.pk][0],
                {"deadline": d.pk, "stage": d.stage, "due_at": d.due_at.isoformat()},
            )
            for d in rows
        ],
        now=now,
    )
    notifications_add_many(
        messages=[
            Message(
                recipients.get(phase, orders[d.order_id].current_unit or d.unit),
                texts[d.pk][1],
                f"dl{d.pk}.{d.extended_count}.{phase}",
                orders[d.order_id],
                event,
            )
            for d, event in zip(rows, events, strict=True)
        ],
        now=now,
    )


def _scan_batch(phase: str, now: datetime, batch_size: int, result: ScanResult, recipients: _Recipients) -> tuple:
    """One transaction: claim up to batch_size due rows and handle them. (rows seen, handled)."""
    spec = PHASE[phase]
    with transaction.atomic():
        rows = list(
            Deadline.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(_due(phase, now))
            .order_by(_ORDER_FIELD[phase])[:batch_size]
        )
        if not rows:
            return 0, 0
        orders = {
            o.pk: o
            for o in WorkOrder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("current_unit")
            .filter(pk__in={d.order_id for d in rows})
        }
        ready = []
        for d in rows:
            order = orders.get(d.order_id)
            if order is None:
                result.skipped += 1  # a person holds the order right now: next scan
            elif order.status in TERMINAL_STATUSES:
                # Should not happen (closing an order cancels its timers); repair it rather
                # than meet this row at every scan.
                Deadline.objects.filter(pk=d.pk).update(state=DeadlineState.CANCELLED, closed_at=now)
                alert_raise(
                    key=f"deadline-open-on-closed-{d.pk}",
                    message=_("时限 %(id)s 的工单已办结，已取消。") % {"id": d.pk},
                )
            else:
                ready.append(d)
        done: list[Deadline] = []
        try:
            with transaction.atomic():
                _handle(phase, ready, orders, now, recipients)
            done = ready
        except Exception:
            # Slow path: row by row, so one bad row cannot hold up the others.
            logger.exception("Deadline batch (%s) failed; retrying row by row", phase)
            for d in ready:
                try:
                    with transaction.atomic():
                        _handle(phase, [d], orders, now, recipients)
                    done.append(d)
                except Exception as exc:  # logged and alerted; the row stays due for the next scan
                    result.failed += 1
                    logger.exception("Deadline %s (%s) failed", d.pk, phase)
                    alert_raise(
                        key=f"deadline-scan-{phase}-{d.pk}",
                        message=(
                            _("时限 %(id)s 处理失败（%(phase)s）：%(error)s")
                            % {"id": d.pk, "phase": phase, "error": exc}
                        )[:500],
                    )
        setattr(result, spec.counter, getattr(result, spec.counter) + len(done))
        result.handled_ids.extend((phase, d.pk) for d in done)
    return len(rows), len(done)


def deadline_scan(*, now: datetime | None = None, batch_size: int | None = None, max_batches: int = 1000) -> ScanResult:
    """Handle every deadline whose warn, due or escalation time has passed."""
    now = now or database_now()
    batch_size = batch_size or settings.HOTLINE_SCAN_BATCH
    result = ScanResult()
    recipients = _Recipients()
    for phase in PHASES:
        for _batch in range(max_batches):
            seen, handled = _scan_batch(phase, now, batch_size, result, recipients)
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
