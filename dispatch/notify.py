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
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dispatch.backends import get_backend
from dispatch.models import Notification, NotificationState
from grids.models import Membership, OrgUnit, Role, UnitKind
from workorders.models import Event, WorkOrder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    user_id: int
    unit: OrgUnit | None


def _members(units: Iterable[OrgUnit], role: str) -> list[Recipient]:
    units = [u for u in units if u is not None]
    if not units:
        return []
    by_id = {u.pk: u for u in units}
    rows = Membership.objects.filter(unit_id__in=by_id, role=role, user__is_active=True).values_list(
        "user_id", "unit_id"
    )
    return [Recipient(user_id, by_id[unit_id]) for user_id, unit_id in rows]


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


def _address(recipient: Recipient) -> str:
    # Users carry no phone of their own yet; the unit's duty phone receives the SMS.
    return recipient.unit.contact_phone if recipient.unit else ""


def notifications_add(
    *,
    recipients: Iterable[Recipient],
    text: str,
    key: str,
    order: WorkOrder | None = None,
    event: Event | None = None,
    now: datetime | None = None,
    channel: str = "sms",
) -> list[int]:
    """Write one pending row per person (a person reached through two units gets one),
    skipping keys that exist; send after commit. Returns the ids written now."""
    now = now or timezone.now()
    rows, seen = [], set()
    for r in recipients:
        if r.user_id in seen:
            continue
        seen.add(r.user_id)
        rows.append(
            Notification(
                recipient_id=r.user_id,
                unit=r.unit,
                order=order,
                event=event,
                channel=channel,
                address=_address(r),
                text=text[:500],
                dedupe_key=f"{key}:u{r.user_id}:{channel}"[:120],
                created_at=now,
            )
        )
    if not rows:
        return []
    # ignore_conflicts: the unique dedupe key, not a read-then-write, is what keeps a
    # repeated event (a retried task, a second scanner) from messaging anyone twice.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        Notification.objects.filter(
            dedupe_key__in=[r.dedupe_key for r in rows], created_at=now, state=NotificationState.PENDING
        ).values_list("pk", flat=True)
    )
    if ids:
        transaction.on_commit(lambda: _queue_send(ids))
    return ids


def _queue_send(ids: list[int]) -> None:
    from hotline.celery import app

    try:
        app.signature("dispatch.send_notifications", args=(ids,)).apply_async()
    except Exception:  # the sweeper sends what could not be queued
        logger.exception("Could not queue sending of %d notifications; the sweeper will send them", len(ids))


def notification_send(*, notification_id: int, now: datetime | None = None) -> str:
    """Send one pending notification. The conditional UPDATE to 'sending' is the claim:
    of two workers handed the same id, only one sends. Returns the resulting state."""
    now = now or timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, state=NotificationState.PENDING).update(
        state=NotificationState.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    notification = Notification.objects.get(pk=notification_id)
    try:
        get_backend().send(notification)
    except Exception as exc:  # any backend failure: keep the row and retry later
        final = notification.attempts >= settings.HOTLINE_NOTIFY_MAX_ATTEMPTS
        state = NotificationState.FAILED if final else NotificationState.PENDING
        Notification.objects.filter(pk=notification_id).update(state=state, last_error=str(exc)[:500])
        logger.warning("Notification %s attempt %s failed: %s", notification_id, notification.attempts, exc)
        return state
    Notification.objects.filter(pk=notification_id, state=NotificationState.SENDING).update(
        state=NotificationState.SENT, sent_at=timezone.now()
    )
    return NotificationState.SENT


def notifications_send(*, ids: Iterable[int]) -> list[int]:
    """Send each; returns the ids that failed and should be retried."""
    return [pk for pk in ids if notification_send(notification_id=pk) == NotificationState.PENDING]


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
    return sum(1 for pk in ids if notification_send(notification_id=pk) == NotificationState.SENT)
