"""未诉先办 services: registering key residents, the visit schedule, recording visits,
raising a proactive order from a visit, and the audit of every full reading."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care.models import (
    COMPLETING_OUTCOMES,
    DEFAULT_INTERVAL_DAYS,
    MAX_INTERVAL_DAYS,
    Access,
    KeyResident,
    Kind,
    Outcome,
    ResidentAccess,
    Visit,
    VisitFrequency,
)
from care.selectors import acting_unit, is_center, own_grid_ids, reads_in_full
from grids.models import OrgUnit, UnitKind
from workorders.choices import Channel, Urgency
from workorders.errors import Conflict, InvalidInput, NotAllowed
from workorders.models import Category, WorkOrder

PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{5,18}[0-9]$")
LIMITS = {"name": 50, "phone": 20, "address": 200, "notes": 1000}


def interval_days(kind: str) -> int:
    """Days between visits for ``kind``: the admin's row, else the default."""
    row = VisitFrequency.objects.filter(kind=kind).values_list("interval_days", flat=True).first()
    return row or DEFAULT_INTERVAL_DAYS[kind]


def _text(errors: dict, name: str, value: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[name] = _("请填写此项。")
    elif len(value) > LIMITS[name]:
        errors[name] = _("不能超过 %(limit)d 个字符（现为 %(n)d）。") % {"limit": LIMITS[name], "n": len(value)}
    return value


def _log(residents: Iterable[KeyResident], actor: AbstractBaseUser, action: str, at: datetime, *, fields=()) -> None:
    rows = [
        ResidentAccess(resident=r, actor=actor, unit=acting_unit(actor, r), action=action, fields=list(fields), at=at)
        for r in residents
    ]
    ResidentAccess.objects.bulk_create(rows)


def _validate_record(errors: dict, *, kind: str, name: str, phone: str, address: str, notes: str) -> dict:
    """The fields a resident's record is registered and corrected with, cleaned."""
    if kind not in Kind.values:
        errors["kind"] = _("请选择人群类别。")
    cleaned = {
        "kind": kind,
        "name": _text(errors, "name", name, required=True),
        "address": _text(errors, "address", address, required=True),
        "phone": _text(errors, "phone", phone, required=False),
        "notes": _text(errors, "notes", notes, required=False),
    }
    if cleaned["phone"] and "phone" not in errors and not PHONE_RE.match(cleaned["phone"]):
        errors["phone"] = _("电话号码格式不正确。")
    return cleaned


def resident_read_log(
    *, residents: Iterable[KeyResident], actor: AbstractBaseUser, action: str = Access.VIEW, now=None
) -> list[KeyResident]:
    """Record that ``actor`` read these residents in full; returns those it may read in
    full (the rest are to be shown masked and are not logged: nothing was read)."""
    full = [r for r in residents if reads_in_full(actor, r)]
    if full:
        _log(full, actor, action, now or timezone.now())
    return full


def resident_add(
    *,
    actor: AbstractBaseUser,
    grid: OrgUnit | None,
    kind: str,
    name: str,
    address: str,
    phone: str = "",
    notes: str = "",
    now: datetime | None = None,
) -> KeyResident:
    """登记: the grid's own staff or the center add a resident; the first visit is due at
    once (nobody has been to see them yet)."""
    now = now or timezone.now()
    errors: dict = {}
    if grid is None or grid.kind != UnitKind.GRID or not grid.is_active:
        errors["grid"] = _("请选择一个启用中的网格。")
    record = _validate_record(errors, kind=kind, name=name, phone=phone, address=address, notes=notes)
    if errors:
        raise InvalidInput(errors)
    if not (is_center(actor) or grid.pk in own_grid_ids(actor)):
        raise NotAllowed(_("只有本网格工作人员或中心可以登记重点人群。"))
    with transaction.atomic():
        resident = KeyResident.objects.create(
            grid=grid,
            **record,
            next_due=timezone.localdate(now),
            created_at=now,
            created_by=actor,
        )
        _log([resident], actor, Access.ADD, now)
    return resident


def next_due_after(resident: KeyResident, done_on: date) -> date:
    return done_on + timedelta(days=interval_days(resident.kind))


def _last_completed_on(resident: KeyResident) -> date | None:
    last = (
        resident.visits.filter(outcome__in=COMPLETING_OUTCOMES).order_by("-done_at").values_list("done_at", flat=True)
    ).first()
    return None if last is None else timezone.localdate(last)


CORRECTABLE = ("kind", "name", "phone", "address", "notes")


def resident_correct(
    *,
    resident: KeyResident,
    actor: AbstractBaseUser,
    kind: str,
    name: str,
    phone: str,
    address: str,
    notes: str,
    now: datetime | None = None,
) -> list[str]:
    """更正档案: the grid's own staff or the center correct a resident's record after
    registration. The same rules as registering; a change of kind reschedules the next
    visit from the last completed one with the new kind's interval (never visited: due
    since registration, unchanged). Returns the names of the fields changed, which the
    audit row keeps (never their values); nothing changed writes nothing."""
    if not (is_center(actor) or resident.grid_id in own_grid_ids(actor)):
        raise NotAllowed(_("只有本网格工作人员或中心可以更正重点人群档案。"))
    errors: dict = {}
    record = _validate_record(errors, kind=kind, name=name, phone=phone, address=address, notes=notes)
    if errors:
        raise InvalidInput(errors)
    now = now or timezone.now()
    with transaction.atomic():
        locked = KeyResident.objects.select_for_update().get(pk=resident.pk)
        if locked.anonymised_at is not None:
            raise Conflict(_("该档案已匿名化，不能更正。"))
        changed = [f for f in CORRECTABLE if getattr(locked, f) != record[f]]
        if not changed:
            return []
        for f in changed:
            setattr(locked, f, record[f])
        fields = list(changed)
        if "kind" in changed and locked.active:
            last = _last_completed_on(locked)
            if last is not None:
                locked.next_due = last + timedelta(days=interval_days(locked.kind))
                fields.append("next_due")
        locked.save(update_fields=fields)
        _log([locked], actor, Access.CORRECT, now, fields=changed)
    for f in fields:
        setattr(resident, f, getattr(locked, f))
    return changed


def visit_record(
    *,
    resident: KeyResident,
    actor: AbstractBaseUser,
    outcome: str,
    notes: str,
    now: datetime | None = None,
) -> Visit:
    """A visit by the grid's own staff. A visit that reached the resident (met, or by
    phone) schedules the next one ``interval_days`` after today; nobody at home is
    recorded, but the visit stays due (and overdue, if it was)."""
    now = now or timezone.now()
    if resident.grid_id not in own_grid_ids(actor):
        raise NotAllowed(_("只有本网格工作人员可以记录走访。"))
    errors: dict = {}
    if outcome not in Outcome.values:
        errors["outcome"] = _("请选择走访结果。")
    notes = _text(errors, "notes", notes, required=True)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = KeyResident.objects.select_for_update().get(pk=resident.pk)
        if not locked.active:
            raise Conflict(_("该人员已不在册。"))
        visit = Visit.objects.create(
            resident=locked, due=locked.next_due, done_at=now, by=actor, outcome=outcome, notes=notes
        )
        if outcome in COMPLETING_OUTCOMES:
            locked.next_due = next_due_after(locked, timezone.localdate(now))
            locked.save(update_fields=["next_due"])
        _log([locked], actor, Access.VISIT, now)
    resident.next_due = locked.next_due
    return visit


def frequency_set(*, kind: str, interval: int) -> int:
    """The admin changes a kind's frequency: every active resident of the kind is
    rescheduled from their last completed visit (or registration) with the new interval,
    so a shorter interval makes overdue at once what the new rule calls overdue.
    Returns how many residents were rescheduled."""
    errors: dict = {}
    if kind not in Kind.values:
        errors["kind"] = _("请选择人群类别。")
    if not isinstance(interval, int) or not 1 <= interval <= MAX_INTERVAL_DAYS:
        errors["interval_days"] = _("走访间隔须在 1 到 %(max)d 天之间。") % {"max": MAX_INTERVAL_DAYS}
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        VisitFrequency.objects.update_or_create(kind=kind, defaults={"interval_days": interval})
        changed = 0
        residents = KeyResident.objects.select_for_update().filter(kind=kind, active=True)
        for r in residents:
            last = _last_completed_on(r)
            if last is None:
                continue  # never visited: due since registration, unchanged
            due = last + timedelta(days=interval)
            if due != r.next_due:
                KeyResident.objects.filter(pk=r.pk).update(next_due=due)
                changed += 1
    return changed


def visit_order_create(
    *,
    visit: Visit,
    actor: AbstractBaseUser,
    description: str,
    category: Category | None = None,
    urgency: str = Urgency.NORMAL,
    photo=None,
    now: datetime | None = None,
) -> WorkOrder:
    """未诉先办: a need found on a visit becomes a work order of the proactive channel,
    submitted like a patrol report (it waits for the operators to accept it) and placed
    in the resident's grid. The resident is its contact for the callback; the order
    says nothing of their being a key resident. One order per visit."""
    from workorders.services import work_order_intake

    resident = visit.resident
    if resident.grid_id not in own_grid_ids(actor):
        raise NotAllowed(_("只有本网格工作人员可以据走访生成工单。"))
    description = (description or "").strip()
    if not description:
        raise InvalidInput({"description": _("请填写需要办理的事项。")})
    now = now or timezone.now()
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.order_id is not None:
            raise Conflict(_("此次走访已生成工单 %(n)s。") % {"n": locked.order.number})
        if KeyResident.objects.filter(pk=resident.pk, anonymised_at__isnull=False).exists():
            raise Conflict(_("该档案已匿名化。"))
        # The intake flow every channel shares: the photo checked before anything is
        # written, the title from the description's first line, order and photo together.
        order = work_order_intake(
            channel=Channel.PROACTIVE,
            actor=actor,
            public=False,
            photo=photo or None,
            description=description,
            category=category,
            urgency=urgency,
            caller_name=resident.name,
            caller_phone=resident.phone,
            address=resident.address,
            community=resident.grid,
            now=now,
        )
        locked.order = order
        locked.save(update_fields=["order"])
        _log([resident], actor, Access.ORDER, now)
    visit.order = order
    return order


def resident_set_active(
    *, resident: KeyResident, actor: AbstractBaseUser, active: bool, now: datetime | None = None
) -> KeyResident:
    """Take a resident off the roll (moved away, passed away, no longer in need) or put
    them back on it; back on the roll, a visit is due at once. The grid's own staff or
    the center; the record and its visits are kept either way."""
    if not (is_center(actor) or resident.grid_id in own_grid_ids(actor)):
        raise NotAllowed(_("只有本网格工作人员或中心可以修改重点人群。"))
    now = now or timezone.now()
    with transaction.atomic():
        locked = KeyResident.objects.select_for_update().get(pk=resident.pk)
        if locked.active == active:
            raise Conflict(_("该人员已在册。") if active else _("该人员已不在册。"))
        if locked.anonymised_at is not None:
            raise Conflict(_("该档案已匿名化，不能恢复在册。"))
        locked.active = active
        # The retention period (HOTLINE_CARE_RETENTION_DAYS) runs from leaving the roll.
        locked.inactive_since = None if active else now
        fields = ["active", "inactive_since"]
        if active:
            locked.next_due, fields = timezone.localdate(now), [*fields, "next_due"]
        locked.save(update_fields=fields)
        _log([locked], actor, Access.EDIT, now)
    return locked
