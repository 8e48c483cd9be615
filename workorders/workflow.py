"""The one place a work order's status changes.

``transition()`` locks the order, checks the table in ``transitions.py``, checks the
actor's role and unit, lets the calling service change the order's other fields,
bumps the version, appends the Event, opens and closes stage timers, and records the
follow-up work (outbox rows, run by workers after commit), all in one transaction. ``create()`` does the same for the
events that bring an order into being. Services call these; nothing else writes status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Field, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Membership
from grids.selectors import memberships_of
from hotline.rows import has_save_receivers, insert_rows, insert_values
from workorders import deadlines
from workorders.choices import TERMINAL_STATUSES, Status
from workorders.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from workorders.limits import WorkCalendar
from workorders.models import CoHandling, Event, WorkOrder
from workorders.outbox import follow_ups_record, suppress_follow_ups  # noqa: F401 - suppress_follow_ups is re-exported
from workorders.scope import membership_covers
from workorders.text_limits import note_limit
from workorders.transitions import ANYWHERE, COHANDLER, CREATE, DESK, TRANSITIONS, UNIT, Rule, allowed_kinds

logger = logging.getLogger(__name__)


@dataclass
class Step:
    """What a service hands to transition(): the change beyond the status itself."""

    note: str = ""
    payload: dict = field(default_factory=dict)


def status_label(status: str | None) -> str:
    return str(Status(status).label) if status else _("（新建）")


def _refuse_transition(order: WorkOrder, kind: str) -> InvalidTransition:
    rule = TRANSITIONS[kind]
    allowed = "、".join(str(TRANSITIONS[k].label) for k in allowed_kinds(order.status)) or _("无")
    return InvalidTransition(
        _("工单 %(number)s 当前状态为「%(status)s」，不能「%(action)s」；此状态下可以：%(allowed)s。")
        % {"number": order.number, "status": status_label(order.status), "action": rule.label, "allowed": allowed},
        status=order.status,
        allowed=allowed_kinds(order.status),
    )


def authorize(rule: Rule, actor: User | None, order: WorkOrder | None) -> Membership | None:
    """The membership the actor acts through, or NotAllowed. None means the system."""
    if actor is None:
        if rule.system:
            return None
        raise NotAllowed(_("「%(action)s」必须由有权限的用户操作。") % {"action": rule.label})
    candidates = [m for m in memberships_of(actor) if m.role in rule.roles]
    if not candidates:
        raise NotAllowed(_("您的角色不能「%(action)s」。") % {"action": rule.label}, roles=sorted(rule.roles))
    if rule.scope == ANYWHERE:
        return candidates[0]
    if order is None:  # pragma: no cover - only creation (scope ANYWHERE) has no order yet
        raise AssertionError(f"scope {rule.scope} needs an order")
    if rule.scope == DESK:
        matches = [m for m in candidates if membership_covers(actor, m, order)]
    elif rule.scope == UNIT:
        matches = [m for m in candidates if order.current_unit_id == m.unit_id]
    elif rule.scope == COHANDLER:
        units = set(CoHandling.objects.filter(order=order).values_list("unit_id", flat=True))
        matches = [m for m in candidates if m.unit_id in units]
    else:  # pragma: no cover - the table is checked by tests
        raise AssertionError(f"unknown scope {rule.scope}")
    if not matches:
        raise NotAllowed(
            _("工单 %(number)s 不在您单位的办理范围内，不能「%(action)s」。")
            % {"number": order.number, "action": rule.label}
        )
    # Prefer the most specific unit (deepest path) when several memberships qualify.
    return max(matches, key=lambda m: m.unit.path.count("/"))


def _apply_timers(rule: Rule, order: WorkOrder, now: datetime, payload: dict) -> None:
    """Close, cancel and open the stage timers the table names for this event, then keep
    the order's nearest due time (queues sort by it) in step with the open rows."""
    if not (rule.opens or rule.closes or rule.cancels or order.status in TERMINAL_STATUSES):
        return
    timers = deadlines.OpenDeadlines(order)
    for stage in rule.cancels:
        timers.close(stage, now, cancel=True)
    for stage in rule.closes:
        closed = timers.close(stage, now)
        if closed is not None:
            payload.setdefault("closed", {})[stage] = closed.state
    calendar = WorkCalendar()
    for stage in rule.opens:
        # Opening a stage that is already running (send-back, reopen) restarts its clock.
        opened, fell_back = timers.open(stage, order.current_unit, now, calendar)
        payload.setdefault("opened", {})[stage] = opened.due_at.isoformat()
        if fell_back:
            payload.setdefault("limit_fallback", []).append(stage)
    if order.status in TERMINAL_STATUSES:
        timers.cancel_all(now)
    timers.flush()
    order.due_at = timers.nearest_due()


def _queue_follow_ups(*, rule: Rule, order: WorkOrder, event_id: int, now: datetime, own: bool) -> None:
    # Rows in this transaction (the outbox), not broker messages: see workorders/outbox.py.
    # The rule's follow_ups and channel_follow_ups (transitions.py) name the tasks.
    # ``own`` False (auto_dispatch=False): the caller routes the order itself; what the
    # order's channel is owed (a report to the upstream platform) is recorded all the same.
    owed = tuple(task for channel, task in rule.channel_follow_ups if channel == order.channel)
    tasks = (rule.follow_ups if own else ()) + owed
    follow_ups_record(tasks=tasks, order_id=order.pk, event_id=event_id, now=now)


_EVENT_COLUMNS = (
    "kind",
    "actor",
    "actor_unit",
    "actor_role",
    "from_status",
    "to_status",
    "note",
    "payload",
    "created_at",
)


def _column(name: str) -> Field:
    field = Event._meta.get_field(name)
    if not isinstance(field, Field):  # pragma: no cover - _EVENT_COLUMNS names the model's own columns
        raise TypeError(f"Event.{name} is not a column")
    return field


_EVENT_FIELDS = [_column(name) for name in _EVENT_COLUMNS]
_EVENT_TABLE = Event._meta.db_table
_EVENT_INSERT_COLUMNS = ", ".join(f'"{f.column}"' for f in _EVENT_FIELDS)  # same quoting on PostgreSQL and SQLite
_EVENT_PLACEHOLDERS = ", ".join(["%s"] * len(_EVENT_FIELDS))
# Built once: every transition runs it.
_NEXT_EVENT_SQL = (
    f"INSERT INTO {_EVENT_TABLE} (order_id, seq, {_EVENT_INSERT_COLUMNS}) "  # noqa: S608 - names from the model
    f"SELECT %s, COALESCE(MAX(seq), 0) + 1, {_EVENT_PLACEHOLDERS} FROM {_EVENT_TABLE} "
    "WHERE order_id = %s RETURNING id, seq"
)


def _insert_next_event(values: dict) -> tuple[int, int]:
    """INSERT the order's next event, numbering it in the same statement (the next seq
    is read by the INSERT's own SELECT instead of a round trip before it); returns
    (id, seq). The caller holds the order's row lock, so the MAX cannot race, and the
    unique (order, seq) constraint would turn a bug here into an error, not a fork."""
    params = [f.get_db_prep_save(values[f.attname], connection) for f in _EVENT_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_EVENT_SQL, [values["order_id"], *params, values["order_id"]])
        return cursor.fetchone()


def _event_values(
    *, order: WorkOrder, kind: str, actor, membership, from_status, note: str, payload: dict, now
) -> dict:
    return {
        "order_id": order.pk,
        "kind": kind,
        "actor_id": actor.pk if actor is not None else None,
        "actor_unit_id": membership.unit_id if membership else None,
        "actor_role": membership.role if membership else "system",
        "from_status": from_status or "",
        "to_status": order.status,
        "note": note,
        "payload": payload,
        "created_at": now,
    }


def _write_first_event(**kw) -> int:
    """The new order's first event (seq 1); its id. Written without an Event instance,
    as transitions write theirs (_insert_next_event): nothing reads the object back.
    Should anything listen to Event's save signals, it is saved as an instance so that
    they are sent."""
    values = _event_values(from_status=None, **kw)
    if has_save_receivers(Event):
        return insert_rows([Event(seq=1, **values)])[0].pk
    return insert_values(Event, [{**values, "seq": 1}])[0]


def _write_event(
    *, order: WorkOrder, kind: str, actor, membership, from_status: str, note: str, payload: dict, now
) -> Event:
    values = _event_values(
        order=order,
        kind=kind,
        actor=actor,
        membership=membership,
        from_status=from_status,
        note=note,
        payload=payload,
        now=now,
    )
    pk, seq = _insert_next_event(values)
    event = Event(pk=pk, seq=seq, **values)
    event._state.adding = False
    event._state.db = connection.alias
    return event


def transition(
    *,
    order: WorkOrder | int,
    kind: str,
    actor: User | None,
    change: Callable[[WorkOrder, Membership | None, datetime], Step] | None = None,
    expected_version: int | None = None,
    note: str = "",
    now: datetime | None = None,
    queue_follow_ups: bool = True,
) -> WorkOrder:
    """Apply event ``kind`` to an existing order; returns the updated order.

    ``change(order, membership, now)`` runs on the locked row after the checks and may
    set fields other than status and raise InvalidInput; its Step adds to the event.
    Raises InvalidTransition, NotAllowed, Conflict (stale expected_version) or InvalidInput.
    """
    rule = TRANSITIONS[kind]
    if CREATE in rule.sources:
        raise ValueError(f"{kind} creates an order; use create()")
    now = now or timezone.now()
    pk = order.pk if isinstance(order, WorkOrder) else order
    with transaction.atomic():
        # The row lock makes a second actor wait here, then see the first one's result:
        # a stale version is a Conflict, a status that moved on an InvalidTransition.
        locked = (
            WorkOrder.objects.select_for_update(of=("self",))
            .select_related("category__parent", "current_unit", "lead_unit", "street", "community", "grid")
            .get(pk=pk)
        )
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(
                _("工单 %(number)s 已被他人更新（当前状态「%(status)s」），请刷新后重试。")
                % {"number": locked.number, "status": status_label(locked.status)},
                status=locked.status,
                version=locked.version,
            )
        if locked.status not in rule.sources:
            raise _refuse_transition(locked, kind)
        membership = authorize(rule, actor, locked)
        if rule.note_required and not note.strip():
            raise InvalidInput({"note": _("「%(action)s」需要填写说明。") % {"action": rule.label}})
        if len(note.strip()) > note_limit(kind):  # the forms and serializers say so first; this holds for all
            limit, n = note_limit(kind), len(note.strip())
            raise InvalidInput({"note": _("不能超过 %(limit)d 个字符（现为 %(n)d）。") % {"limit": limit, "n": n}})
        before = (locked.current_unit_id, locked.lead_unit_id)
        step = change(locked, membership, now) if change else Step()
        from_status = locked.status
        if rule.audit_only:
            _write_event(
                order=locked,
                kind=kind,
                actor=actor,
                membership=membership,
                from_status=from_status,
                note=note.strip(),
                payload=step.payload,
                now=now,
            )
            return locked
        if rule.target is not None:
            locked.status = rule.target
        if locked.status in TERMINAL_STATUSES and locked.closed_at is None:
            locked.closed_at = now
        locked.version += 1
        locked.updated_at = now
        payload = dict(step.payload)
        after = (locked.current_unit_id, locked.lead_unit_id)
        if after != before:
            payload["units"] = {"current_unit": after[0], "lead_unit": after[1]}
        _apply_timers(rule, locked, now, payload)
        locked.save()
        event = _write_event(
            order=locked,
            kind=kind,
            actor=actor,
            membership=membership,
            from_status=from_status,
            note=(note or step.note).strip(),
            payload=payload,
            now=now,
        )
        _queue_follow_ups(rule=rule, order=locked, event_id=event.pk, now=now, own=queue_follow_ups)
    return locked


def create(
    *,
    kind: str,
    actor: User | None,
    order: WorkOrder,
    note: str = "",
    payload: dict | None = None,
    now: datetime | None = None,
    queue_follow_ups: bool = True,
) -> WorkOrder:
    """Bring an unsaved, validated order into being through creation event ``kind``."""
    from workorders.numbers import issue_number

    rule = TRANSITIONS[kind]
    if CREATE not in rule.sources or rule.target is None:
        raise ValueError(f"{kind} does not create an order")
    now = now or timezone.now()
    membership = authorize(rule, actor, None)
    with transaction.atomic():
        order.number = issue_number(now)
        order.status = rule.target
        order.version = 1
        order.created_at = order.updated_at = now
        order.created_by = actor
        try:
            insert_rows([order])  # save(force_insert=True) without compiling the INSERT each time
        except IntegrityError as exc:  # a constraint the service validation missed
            raise InvalidInput({"__all__": str(exc)}) from exc
        payload = dict(payload or {})
        if order.current_unit_id or order.lead_unit_id:
            payload["units"] = {"current_unit": order.current_unit_id, "lead_unit": order.lead_unit_id}
        event_id = _write_first_event(
            order=order, kind=kind, actor=actor, membership=membership, note=note, payload=payload, now=now
        )
        _queue_follow_ups(rule=rule, order=order, event_id=event_id, now=now, own=queue_follow_ups)
    return order


def record_system_events(*, kind: str, entries: list[tuple[WorkOrder, str, dict]], now: datetime) -> list[Event]:
    """Append one audit-only system event per (order, note, payload), in bulk.

    For machine scans that mark many orders at once (the deadline scanner): the same
    checks and event shape as ``transition()`` for a system, audit-only kind, without a
    round trip per order. The caller must already hold every order's row lock
    (``select_for_update``) in the current transaction, which is what keeps the seq
    numbers below from racing; nothing but the event log changes (no status, version or
    timers), so a scan never turns a person's concurrent action into a 409.
    """
    rule = TRANSITIONS[kind]
    if not (rule.system and rule.audit_only):
        raise ValueError(f"{kind} is not a system audit-only event")
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("record_system_events needs the orders locked in a transaction")
    for order, _note, _payload in entries:
        if order.status not in rule.sources:
            raise _refuse_transition(order, kind)
    ids = {order.pk for order, _note, _payload in entries}
    last = dict(
        Event.objects.filter(order_id__in=ids).values("order_id").annotate(m=Max("seq")).values_list("order_id", "m")
    )
    events = []
    for order, note, payload in entries:
        last[order.pk] = last.get(order.pk, 0) + 1
        events.append(
            Event(
                order=order,
                seq=last[order.pk],
                kind=kind,
                actor=None,
                actor_unit=None,
                actor_role="system",
                from_status=order.status,
                to_status=order.status,
                note=note.strip(),
                payload=payload,
                created_at=now,
            )
        )
    return Event.objects.bulk_create(events)
