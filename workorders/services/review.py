"""Review and callback: the dispatcher approves or sends back a reply, the operator
(or the resident) records the callback, and callers' numbers are revealed with an audit."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Membership, UnitKind
from workorders import deadlines
from workorders.choices import (
    TERMINAL_STATUSES,
    DeadlineState,
    Resolution,
    Satisfaction,
    Stage,
)
from workorders.errors import InvalidInput
from workorders.limits import next_working_day
from workorders.models import Deadline, WorkOrder
from workorders.services._common import OrderRef, _choice, _pk
from workorders.workflow import Step, transition


def work_order_approve(
    *,
    order: OrderRef,
    actor: User,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """审核通过: a dispatcher approves the unit's reply, which opens the callback timer and
    tells the resident (the table's "approve" rule, workorders/transitions.py); refused
    while a category's required site check is missing."""

    def change(o: WorkOrder, m, at) -> Step:
        # Checked on the locked row: a check recorded concurrently is seen or waited for.
        from workorders.services.site_check import site_check_required_missing

        if site_check_required_missing(o):
            raise InvalidInput(
                {"site_check": _("该分类需现场核查：承办单位在最近一次派单后尚未上传现场照片和位置，暂不能审核通过。")}
            )
        return Step()

    return transition(
        order=_pk(order),
        kind="approve",
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_send_back(
    *,
    order: OrderRef,
    actor: User,
    note: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """驳回重办: a dispatcher sends the reply back to the unit with a reason; the table's
    "send_back" rule (workorders/transitions.py) requires it, restarts the handle timer
    and has the unit told."""
    return transition(
        order=_pk(order), kind="send_back", actor=actor, note=note, expected_version=expected_version, now=now
    )


def _callback_due_until_retry(*, order: WorkOrder, now: datetime) -> datetime | None:
    """An unreachable resident is tried again on the next working day (dispatch
    schedules it); the callback stage must not run out while that try waits, so its due
    time moves to the end of that day when it would fall earlier. Returns the new due
    time, or None if nothing moved."""
    retry_day = next_working_day(now)
    if retry_day is None:
        return None
    tz = timezone.get_current_timezone()
    until = datetime.combine(retry_day, settings.HOTLINE_WORKDAY_END, tzinfo=tz)
    current = Deadline.objects.filter(order=order, stage=Stage.CALLBACK, state=DeadlineState.OPEN).first()
    if current is None or current.due_at >= until:
        return None
    deadlines.extend_deadline(order=order, stage=Stage.CALLBACK, new_due=until)
    order.due_at = deadlines.OpenDeadlines(order).nearest_due()
    return until


def work_order_callback(
    *,
    order: OrderRef,
    actor: User | None,
    contacted: bool,
    resolution: str = "",
    satisfaction: str = "",
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
    attitude: str = "",
    process: str = "",
    result: str = "",
) -> WorkOrder:
    """Record a callback (回访): satisfied or basically satisfied closes the order,
    unsatisfied reopens it at the unit that replied, and an unreachable resident is
    tried again until HOTLINE_CALLBACK_MAX_ATTEMPTS, then the order closes as unreachable.
    ``attitude``, ``process``, ``result`` (三满意, issue 16): optional answers on the same
    scale as the overall one, kept in the event's payload as ``aspects``."""
    aspects = {k: v for k, v in (("attitude", attitude), ("process", process), ("result", result)) if v}
    if contacted:
        errors: dict[str, str] = {}
        _choice(errors, "resolution", resolution, Resolution)
        _choice(errors, "satisfaction", satisfaction, Satisfaction)
        for field, value in aspects.items():
            _choice(errors, field, value, Satisfaction)
        if errors:
            raise InvalidInput(errors)
        kind = "reopen" if satisfaction == Satisfaction.UNSATISFIED else "callback_close"
    else:
        kind = "callback_unreachable"

    def change(o: WorkOrder, m, at) -> Step:
        nonlocal kind
        o.callback_attempts += 1
        o.callback_contacted = contacted
        if contacted:
            o.callback_resolution, o.callback_satisfaction = resolution, satisfaction
            if kind == "reopen":
                o.reopen_count += 1
        extra = {}
        if kind == "callback_unreachable":
            moved = _callback_due_until_retry(order=o, now=at)
            if moved is not None:
                extra["callback_due"] = moved.isoformat()
        return Step(
            payload={
                **extra,
                "contacted": contacted,
                "resolution": resolution,
                "satisfaction": satisfaction,
                "attempt": o.callback_attempts,
                # The unit answerable for the result, so statistics by unit read the
                # event alone (no join to a million orders); see dashboards.selectors.
                "lead_unit": o.lead_unit_id,
                **({"aspects": aspects} if contacted and aspects else {}),
            }
        )

    with transaction.atomic():
        if kind == "callback_unreachable":
            # Whether this was the last try is read on the locked row (the transition
            # below takes the same lock again, a no-op): two operators recording failed
            # tries at once count both, and the one that reaches the limit closes the
            # order instead of leaving it waiting for a try nobody will make.
            attempts = (
                WorkOrder.objects.select_for_update().values_list("callback_attempts", flat=True).get(pk=_pk(order))
            )
            if attempts + 1 >= settings.HOTLINE_CALLBACK_MAX_ATTEMPTS:
                kind = "close_unreachable"
        return transition(
            order=_pk(order),
            kind=kind,
            actor=actor,
            change=change,
            note=note,
            expected_version=expected_version,
            now=now,
        )


def work_order_reveal_caller(*, order: OrderRef, actor: User) -> dict:
    """Give the caller's full name and number to a user whose work needs them; the
    reading is recorded in the event log. Confidential callers are never given to units."""
    from workorders.privacy import may_reveal

    def change(o: WorkOrder, m: Membership | None, at) -> Step:
        if not may_reveal(m, o):
            from workorders.errors import NotAllowed

            if m is not None and m.unit.kind == UnitKind.PROPERTY:
                raise NotAllowed(_("物业、行业单位不能查看来电人信息。"))
            raise NotAllowed(_("来电人要求保密，承办单位不能查看其信息。"))
        return Step()

    o = transition(order=_pk(order), kind="reveal_caller", actor=actor, change=change)
    return {"name": o.caller_name, "phone": o.caller_phone}


def is_open(order: WorkOrder) -> bool:
    return order.status not in TERMINAL_STATUSES
