"""Transfers with the emergency lines (110/119/120/122), both ways (国办发〔2022〕12号).
Out: the matter leaves the hotline with a record of who handed it to which line and why,
and the order closes. In: a matter a line hands to 12345 becomes an order (through
workorders' one intake service) with a record of the line, its own reference, the time
and the operator who took it."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from community.models import REFERENCE_MAX, EmergencyLine, EmergencyTransfer, EmergencyTransferIn
from workorders.errors import InvalidInput
from workorders.models import Event, WorkOrder
from workorders.selectors import work_orders_visible_to
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


def emergency_transfer_in_check(*, line: str, reference: str = "") -> tuple[str, str]:
    """The line and reference of a matter handed in, checked before anything is written:
    the line one of EmergencyLine, the reference (optional) at most REFERENCE_MAX
    characters. Returns them cleaned; raises InvalidInput naming the field."""
    line, reference = (line or "").strip(), (reference or "").strip()
    errors: dict[str, str] = {}
    if line not in EmergencyLine.values:
        errors["transferred_from"] = _("「%(value)s」不是紧急热线，可选：%(options)s。") % {
            "value": line,
            "options": ", ".join(EmergencyLine.values),
        }
    if len(reference) > REFERENCE_MAX:
        errors["transfer_reference"] = _("对方编号最多 %(n)d 个字符。") % {"n": REFERENCE_MAX}
    if errors:
        raise InvalidInput(errors)
    return line, reference


def emergency_transfer_in_record(
    *, order: WorkOrder, actor: AbstractBaseUser, line: str, reference: str = ""
) -> EmergencyTransferIn:
    """The record that ``order`` was handed in by ``line`` (reference: the line's own
    incident number), tied to the order's creating event; called by work_order_intake
    inside the transaction that creates the order."""
    line, reference = emergency_transfer_in_check(line=line, reference=reference)
    event = Event.objects.filter(order=order).order_by("seq").first()
    return EmergencyTransferIn.objects.create(
        order=order,
        line=line,
        reference=reference,
        event=event,
        actor=actor,
        actor_unit_id=event.actor_unit_id,
        created_at=event.created_at,
    )


def emergency_transfer_in_none(order: WorkOrder) -> None:
    """Note on ``order``, created just now without a record, that it has none: reading
    its transfer-in (the API's creation answer shows it) then costs no query. The same
    cache Django fills when the record is created with the order, or by select_related."""
    EmergencyTransferIn._meta.get_field("order").remote_field.set_cached_value(order, None)


def _per_line(qs, since: datetime | None, until: datetime | None, user: AbstractBaseUser | None) -> dict[str, int]:
    if user is not None:  # a supervisor's dashboard counts what they may see
        qs = qs.filter(order__in=work_orders_visible_to(user).values("pk"))
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    counts = dict(qs.values_list("line").annotate(n=Count("pk")).order_by())
    return {line: counts.get(line, 0) for line in EmergencyLine.values}


def emergency_transfer_in_counts(
    *, since: datetime | None = None, until: datetime | None = None, user: AbstractBaseUser | None = None
) -> dict[str, int]:
    """转入: matters handed in per line (every line present, zero included), of the
    orders ``user`` may see when given."""
    return _per_line(EmergencyTransferIn.objects.all(), since, until, user)


def emergency_transfer_counts(
    *, since: datetime | None = None, until: datetime | None = None, user: AbstractBaseUser | None = None
) -> dict[str, int]:
    """转出: transfers out per line (every line present, zero included), of the orders
    ``user`` may see when given."""
    return _per_line(EmergencyTransfer.objects.all(), since, until, user)


def emergency_transfer_figures(*, since: datetime, until: datetime, user: AbstractBaseUser) -> list[dict]:
    """The dashboard's rows: each line with its 转入 and 转出 in the period."""
    ins = emergency_transfer_in_counts(since=since, until=until, user=user)
    outs = emergency_transfer_counts(since=since, until=until, user=user)
    return [{"line": line, "label": label, "in": ins[line], "out": outs[line]} for line, label in EmergencyLine.choices]
