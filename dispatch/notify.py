"""Notifications: who is told, one row per message, and sending with a claim.

Rows are written in the same transaction as the event that causes them, so a message
exists exactly when its event does; sending happens after commit (a task), and the
sweeper sends whatever a lost broker message or a killed worker left behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dispatch.backends import get_backend
from dispatch.models import Notification, NotificationState
from grids.models import Membership, OrgUnit, Role, UnitKind
from hotline.rows import insert_values
from workorders.models import Event, WorkOrder
from workorders.outbox import follow_up_request
from workorders.privacy import redact_public_text

logger = logging.getLogger(__name__)

# The follow-up task that sends an event's notifications written by a web request.
SEND_FOLLOW_UP = "dispatch.send_event_notifications"


@dataclass(frozen=True)
class Recipient:
    user_id: int | None  # None: the order's caller, a resident without an account
    unit: OrgUnit | None
    mobile: str = ""  # the person's own (grids.StaffPhone); else the unit's duty phone


def order_caller(order: WorkOrder) -> list[Recipient]:
    """The resident who reported ``order``, at the number they gave (none: nobody)."""
    return [Recipient(None, None, order.caller_phone)] if order.caller_phone else []


def _members(units: Iterable[OrgUnit], role: str) -> list[Recipient]:
    units = [u for u in units if u is not None]
    if not units:
        return []
    by_id = {u.pk: u for u in units}
    rows = (
        Membership.objects.filter(unit_id__in=by_id, role=role, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", "unit_id", "user__staff_phone__mobile")
    )
    return [Recipient(user_id, by_id[unit_id], mobile or "") for user_id, unit_id, mobile in rows]


def unit_handlers(unit: OrgUnit | None) -> list[Recipient]:
    return _members([unit], Role.HANDLER) if unit else []


def unit_supervisors(unit: OrgUnit | None) -> list[Recipient]:
    """Supervisors of the unit or, failing that, of its nearest ancestor below the center."""
    if unit is None:
        return []
    ancestors = OrgUnit.objects.filter(pk__in=unit.ancestor_ids).exclude(kind=UnitKind.CENTER)
    for candidate in sorted(ancestors, key=lambda u: -u.path.count("/")):
        found = _members([candidate], Role.SUPERVISOR)
        if found:
            return found
    return []


def center_members(role: str) -> list[Recipient]:
    return _members(OrgUnit.objects.filter(kind=UnitKind.CENTER, is_active=True), role)


def _route(message_key: str, recipient: Recipient, channel: str) -> tuple[str, str]:
    """(dedupe key, address) of one person's copy. An SMS goes to the person's own
    mobile; for people without one it goes to their unit's duty phone, and only once per
    unit (three handlers without mobiles must not put three copies on one phone)."""
    if recipient.user_id is None:
        return f"{message_key}:caller:{channel}", recipient.mobile
    if channel == "sms" and not recipient.mobile and recipient.unit is not None:
        return f"{message_key}:unit{recipient.unit.pk}:{channel}", recipient.unit.contact_phone
    return f"{message_key}:u{recipient.user_id}:{channel}", recipient.mobile


@dataclass(frozen=True)
class Message:
    """One message to a set of people, keyed by what caused it."""

    recipients: list[Recipient]
    text: str
    key: str
    order: WorkOrder | None = None
    event: Event | None = None


def notifications_add_many(
    *,
    messages: Iterable[Message],
    now: datetime | None = None,
    channel: str = "sms",
    send_now: bool = False,
    by_follow_up: bool = False,
) -> list[int]:
    """Write one pending row per person per message (a person reached through two units
    gets one), skipping keys that exist, in one INSERT; after commit, queue a send task,
    or with ``send_now`` (callers already in a worker task) send in this process and
    queue only the failures. Callers in a web request pass ``by_follow_up``: the sending
    is then a follow-up of each message's event (SEND_FOLLOW_UP, an outbox row the relay
    wakes a worker for), so the web sends no broker message. Returns the ids written now."""
    messages = list(messages)
    if by_follow_up and any(m.event is None or m.order is None for m in messages):
        raise ValueError("by_follow_up needs each message's order and event")
    now = now or timezone.now()
    rows, keys = [], set()
    # An SMS leaves the system (a gateway, a phone on a desk): whatever an order's title
    # or a note carries of a resident goes out redacted, whoever builds the message.
    texts = {
        id(m): redact_public_text(
            m.text,
            caller_name=m.order.caller_name if m.order else "",
            confidential=bool(m.order and m.order.caller_confidential),
        )[:500]
        for m in messages
    }
    for message in messages:
        for r in message.recipients:
            key, address = _route(message.key, r, channel)
            key = key[:120]
            if key in keys:
                continue
            keys.add(key)
            rows.append(
                {
                    "recipient_id": r.user_id,
                    "unit_id": r.unit.pk if r.unit is not None else None,
                    "order_id": message.order.pk if message.order is not None else None,
                    "event_id": message.event.pk if message.event is not None else None,
                    "channel": channel,
                    "address": address,
                    "text": texts[id(message)],
                    "dedupe_key": key,
                    "created_at": now,
                }
            )
    if not rows:
        return []
    # ignore_conflicts: the unique dedupe key, not a read-then-write, is what keeps a
    # repeated event (a retried task, a second scanner) from messaging anyone twice.
    # RETURNING gives the ids of the rows this call wrote, the skipped ones left out, in
    # the same statement (one round trip per follow-up fewer than reading them back).
    ids = sorted(insert_values(Notification, rows, ignore_conflicts=True, returning=True))
    if ids and by_follow_up:
        for order_id, event_id in sorted({(m.order.pk, m.event.pk) for m in messages}):  # type: ignore[union-attr]
            follow_up_request(task=SEND_FOLLOW_UP, order_id=order_id, event_id=event_id, now=now)
    elif ids:
        transaction.on_commit(lambda: _send_now(ids) if send_now else _queue_send(ids))
    return ids


def notifications_send_of_event(*, event_id: int) -> list[int]:
    """Send the event's pending notifications after the caller's commit (the
    SEND_FOLLOW_UP handler, in a worker), as ``send_now`` does; the ids."""
    ids = list(
        Notification.objects.filter(event_id=event_id, state=NotificationState.PENDING).values_list("pk", flat=True)
    )
    if ids:
        transaction.on_commit(lambda: _send_now(ids))
    return ids


def notifications_add(
    *,
    recipients: Iterable[Recipient],
    text: str,
    key: str,
    order: WorkOrder | None = None,
    event: Event | None = None,
    now: datetime | None = None,
    channel: str = "sms",
    send_now: bool = False,
    by_follow_up: bool = False,
) -> list[int]:
    message = Message(list(recipients), text, key, order, event)
    return notifications_add_many(
        messages=[message], now=now, channel=channel, send_now=send_now, by_follow_up=by_follow_up
    )


def _send_now(ids: list[int]) -> None:
    failed = notifications_send(ids=ids)
    if failed:
        _queue_send(failed)  # the task retries with backoff, the sweeper after that


def _queue_send(ids: list[int]) -> None:
    from hotline.celery import app

    try:
        app.signature("dispatch.send_notifications", args=(ids,)).apply_async()
    except Exception:  # the sweeper sends what could not be queued
        logger.exception("Could not queue sending of %d notifications; the sweeper will send them", len(ids))


def _claim(ids: list[int], now: datetime) -> list[Notification]:
    """Mark pending rows as being sent and return the ones this caller got, as they are
    now. A conditional UPDATE … RETURNING: of two workers handed the same id, exactly
    one gets it; the rows come back in the same statement (``raw`` applies the fields'
    converters, SQLite's datetimes among them)."""
    claimed: list[Notification] = []
    table = Notification._meta.db_table
    columns = ", ".join(connection.ops.quote_name(f.column) for f in Notification._meta.concrete_fields)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join(["%s"] * len(chunk))
        claimed.extend(
            Notification.objects.raw(
                f"UPDATE {table} SET state = %s, claimed_at = %s, attempts = attempts + 1 "  # noqa: S608 - no user input
                f"WHERE state = %s AND id IN ({marks}) RETURNING {columns}",
                [NotificationState.SENDING, now, NotificationState.PENDING, *chunk],
            )
        )
    return sorted(claimed, key=lambda n: n.pk)


def notifications_send(*, ids: Iterable[int], now: datetime | None = None) -> list[int]:
    """Send the given notifications that are still pending; returns the ids that failed
    and should be retried (rows out of attempts are marked failed instead)."""
    return _send_claimed(_claim(list(ids), now or timezone.now()))


def _send_claimed(claimed: list[Notification]) -> list[int]:
    if not claimed:
        return []
    backend = get_backend()
    sent, retry = [], []
    for notification in claimed:
        try:
            backend.send(notification)
        except Exception as exc:  # any backend failure: keep the row and retry later
            final = notification.attempts >= settings.HOTLINE_NOTIFY_MAX_ATTEMPTS
            state = NotificationState.FAILED if final else NotificationState.PENDING
            Notification.objects.filter(pk=notification.pk).update(state=state, last_error=str(exc)[:500])
            logger.warning("Notification %s attempt %s failed: %s", notification.pk, notification.attempts, exc)
            if not final:
                retry.append(notification.pk)
        else:
            sent.append(notification.pk)
    Notification.objects.filter(pk__in=sent, state=NotificationState.SENDING).update(
        state=NotificationState.SENT, sent_at=timezone.now()
    )
    return retry


def notifications_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send what no task will: pending rows past the grace period and rows whose sender
    died mid-claim. Returns how many were sent now."""
    now = now or timezone.now()
    # A row claimed longer ago than the lease was orphaned by a killed worker; it is sent
    # again with the same message id, so the gateway can drop it if it got there.
    lease = timedelta(seconds=settings.HOTLINE_NOTIFY_LEASE)
    Notification.objects.filter(state=NotificationState.SENDING, claimed_at__lt=now - lease).update(
        state=NotificationState.PENDING
    )
    # Pending rows younger than the grace period still have their own task on the way.
    grace = timedelta(seconds=settings.HOTLINE_NOTIFY_GRACE)
    ids = list(
        Notification.objects.filter(state=NotificationState.PENDING, created_at__lt=now - grace)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    failed = notifications_send(ids=ids, now=now)
    return Notification.objects.filter(pk__in=set(ids) - set(failed), state=NotificationState.SENT).count()
