"""Transfers to the emergency lines (110/119/120/122): the matter leaves the hotline
with a record of who handed it to which line and why, and the order closes."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from community.models import EmergencyLine, EmergencyTransfer
from workorders.errors import InvalidInput
from workorders.models import Event, WorkOrder
from workorders.workflow import Step, transition


def emergency_transfer_create(
    *,
    order: WorkOrder | int,
    actor: AbstractBaseUser,
    line: str,
    note: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """转紧急热线: close the order through the transfer_emergency event and keep the
    transfer's record in the same transaction. Raises InvalidInput for an unknown line or
    a missing note, and the workflow's errors (status, rights, conflict)."""
    if line not in EmergencyLine.values:
        raise InvalidInput(
            {
                "line": _("「%(value)s」不是紧急热线，可选：%(options)s。")
                % {"value": line, "options": ", ".join(EmergencyLine.values)}
            }
        )

    def change(o: WorkOrder, membership, at) -> Step:
        return Step(payload={"line": line})

    with transaction.atomic():
        result = transition(
            order=order,
            kind="transfer_emergency",
            actor=actor,
            change=change,
            note=note,
            expected_version=expected_version,
            now=now,
        )
        event = Event.objects.filter(order=result, kind="transfer_emergency").order_by("-seq").first()
        EmergencyTransfer.objects.create(
            order=result,
            line=line,
            event=event,
            actor=actor,
            actor_unit_id=event.actor_unit_id,
            note=note.strip(),
            created_at=event.created_at,
        )
    return result


def emergency_transfer_counts(*, since: datetime | None = None, until: datetime | None = None) -> dict[str, int]:
    """Transfers per line (every line present, zero included)."""
    qs = EmergencyTransfer.objects.all()
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    counts = dict(qs.values_list("line").annotate(n=Count("pk")).order_by())
    return {line: counts.get(line, 0) for line in EmergencyLine.values}
