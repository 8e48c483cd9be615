"""Retention and anonymisation of residents' personal data (PIPL 个人信息保护法).

A closed order keeps its statistics for ever and its personal data for
``HOTLINE_RETENTION_DAYS`` only; a resident may also ask for their data to be erased
earlier (by caller phone). Anonymising an order:

- empties the caller's name and phone (the phone is what links a person's orders);
- redacts free text — title, description, address, reply, every event's note and the
  strings inside event payloads, and the text of notifications about the order — with the
  same rules as public output (``workorders.privacy.redact_public_text``: phones, ID
  numbers, plates, household addresses, the caller's name);
- deletes the photos (attachments), which can show faces and doors, and their files;
- keeps category, place (street/community/grid, coordinates), units, timing, deadlines and
  the event kinds, statuses and units of the log, so the dashboards, the roll-up, the
  assessment and ``workorders.replay`` give the same answers before and after;
- records an ``anonymise`` event (system, audit-only: no version bump) on the order, which
  is also how a later run knows the order is done.

Only orders in a terminal status are anonymised: an open order still needs its caller for
the contact and the callback. A request for an open order is reported back so the
operator can tell the resident, and the order is anonymised once closed when asked again.

This module lives in dispatch (the top of the core chain) because it also rewrites
dispatch's notifications and the attachments app's photos.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from attachments.models import Attachment
from dispatch.models import Notification
from workorders.choices import TERMINAL_STATUSES
from workorders.models import Event, WorkOrder
from workorders.privacy import redact_public_text
from workorders.workflow import record_system_events

logger = logging.getLogger(__name__)

KIND = "anonymise"
# Payload keys replay and the statistics read: ids and codes, never personal data.
_KEPT_PAYLOAD_KEYS = frozenset(
    {"units", "unit", "lead_unit", "from_unit", "stage", "reason", "resolution", "satisfaction", "contacted", "into"}
)


@dataclass
class RetentionRun:
    dry_run: bool
    orders: list[str] = field(default_factory=list)  # numbers anonymised (or that would be)
    still_open: list[str] = field(default_factory=list)  # on request: orders that must close first
    events: int = 0
    notifications: int = 0
    attachments: int = 0


def _is_timestamp(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _redact_payload(value, caller_name: str):
    if isinstance(value, str):
        # Due times in payloads feed the roll-up; a timestamp is never personal data.
        return value if _is_timestamp(value) else redact_public_text(value, caller_name=caller_name)
    if isinstance(value, list):
        return [_redact_payload(v, caller_name) for v in value]
    if isinstance(value, dict):
        return {k: (v if k in _KEPT_PAYLOAD_KEYS else _redact_payload(v, caller_name)) for k, v in value.items()}
    return value


def _anonymised() -> Exists:
    return Exists(Event.objects.filter(order_id=OuterRef("pk"), kind=KIND))


def due_for_retention(*, now: datetime, days: int) -> QuerySet[WorkOrder]:
    """Terminal orders closed more than ``days`` ago and not yet anonymised."""
    return (
        WorkOrder.objects.filter(status__in=TERMINAL_STATUSES, closed_at__lt=now - timedelta(days=days))
        .exclude(_anonymised())
        .order_by("closed_at", "pk")
    )


def _anonymise_one(order: WorkOrder, *, reason: str, now: datetime, run: RetentionRun) -> None:
    name = order.caller_name
    events = list(order.events.exclude(kind=KIND))
    changed_events = []
    for event in events:
        note = redact_public_text(event.note, caller_name=name)
        payload = _redact_payload(event.payload, name)
        if note != event.note or payload != event.payload:
            event.note, event.payload = note, payload
            changed_events.append(event)
    notifications = list(Notification.objects.filter(order=order))
    changed_notes = []
    for notification in notifications:
        text = redact_public_text(notification.text, caller_name=name)
        address = "" if order.caller_phone and notification.address == order.caller_phone else notification.address
        if (text, address) != (notification.text, notification.address):
            notification.text, notification.address = text, address
            changed_notes.append(notification)
    photos = list(Attachment.objects.filter(order=order))
    run.orders.append(order.number)
    run.events += len(changed_events)
    run.notifications += len(changed_notes)
    run.attachments += len(photos)
    if run.dry_run:
        return
    for attr in ("title", "description", "address", "reply"):
        setattr(order, attr, redact_public_text(getattr(order, attr), caller_name=name))
    order.caller_name = ""
    order.caller_phone = ""
    # Deliberately not through transition(): no status, version or timer changes, only
    # the personal fields; updated_at stays so "last changed" figures do not move.
    order.save(update_fields=["title", "description", "address", "reply", "caller_name", "caller_phone"])
    # The anonymise event first: the event log's trigger lets an event's note and payload
    # change only on an order that carries one (workorders migration 0007).
    record_system_events(
        kind=KIND,
        entries=[
            (
                order,
                "",
                {
                    "reason": reason,
                    "events": len(changed_events),
                    "notifications": len(changed_notes),
                    "attachments": len(photos),
                },
            )
        ],
        now=now,
    )
    Event.objects.bulk_update(changed_events, ["note", "payload"])
    Notification.objects.bulk_update(changed_notes, ["text", "address"])
    for photo in photos:
        # The file goes only once the rows are gone for good (a rollback keeps both).
        transaction.on_commit(partial(photo.file.storage.delete, photo.file.name))
        photo.delete()


def _run(ids: list[int], *, reason: str, now: datetime, dry_run: bool, run: RetentionRun) -> None:
    # One short transaction per order: a big backlog never holds many row locks at once,
    # and a crash leaves every order either done (with its event) or untouched.
    for pk in ids:
        with transaction.atomic():
            order = WorkOrder.objects.select_for_update(of=("self",)).filter(pk=pk).exclude(_anonymised()).first()
            if order is None:  # done by a concurrent run
                continue
            _anonymise_one(order, reason=reason, now=now, run=run)
            if dry_run:
                transaction.set_rollback(True)


def retention_anonymise_expired(
    *, days: int | None = None, now: datetime | None = None, dry_run: bool = False, limit: int | None = None
) -> RetentionRun:
    """Anonymise terminal orders closed more than ``days`` (HOTLINE_RETENTION_DAYS) ago."""
    now = now or timezone.now()
    days = settings.HOTLINE_RETENTION_DAYS if days is None else days
    ids = list(due_for_retention(now=now, days=days).values_list("pk", flat=True)[:limit])
    run = RetentionRun(dry_run=dry_run)
    _run(ids, reason="retention", now=now, dry_run=dry_run, run=run)
    if run.orders and not dry_run:
        logger.info("Retention: anonymised %s orders closed more than %s days ago", len(run.orders), days)
    return run


def retention_anonymise_caller(*, phone: str, now: datetime | None = None, dry_run: bool = False) -> RetentionRun:
    """Anonymise every closed order of the caller with this phone (a resident's request).

    Open orders are listed in ``still_open`` and left alone (their handling needs the
    caller); ask again once they are closed.
    """
    phone = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    if not phone:
        raise ValueError("phone must contain digits")
    now = now or timezone.now()
    orders = WorkOrder.objects.filter(caller_phone=phone).exclude(_anonymised()).order_by("created_at", "pk")
    run = RetentionRun(dry_run=dry_run)
    ids = []
    for pk, number, status in orders.values_list("pk", "number", "status"):
        if status in TERMINAL_STATUSES:
            ids.append(pk)
        else:
            run.still_open.append(number)
    _run(ids, reason="request", now=now, dry_run=dry_run, run=run)
    return run
