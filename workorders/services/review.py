"""Review and callback: the dispatcher approves or sends back a reply, the operator
(or the resident) records the callback, and callers' numbers are revealed with an audit."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from grids.models import Membership
from workorders.choices import (
    TERMINAL_STATUSES,
    Resolution,
    Satisfaction,
)
from workorders.errors import InvalidInput
from workorders.models import WorkOrder
from workorders.services._common import OrderRef, _choice, _pk
from workorders.workflow import Step, transition


def work_order_approve(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    return transition(
        order=_pk(order), kind="approve", actor=actor, note=note, expected_version=expected_version, now=now
    )


def work_order_send_back(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    note: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    return transition(
        order=_pk(order), kind="send_back", actor=actor, note=note, expected_version=expected_version, now=now
    )


def work_order_callback(
    *,
    order: OrderRef,
    actor: AbstractBaseUser | None,
    contacted: bool,
    resolution: str = "",
    satisfaction: str = "",
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Record a callback (回访): satisfied or basically satisfied closes the order,
    unsatisfied reopens it at the unit that replied, and an unreachable resident is
    tried again until HOTLINE_CALLBACK_MAX_ATTEMPTS, then the order closes as unreachable."""
    if contacted:
        errors: dict[str, str] = {}
        _choice(errors, "resolution", resolution, Resolution)
        _choice(errors, "satisfaction", satisfaction, Satisfaction)
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
        return Step(
            payload={
                "contacted": contacted,
                "resolution": resolution,
                "satisfaction": satisfaction,
                "attempt": o.callback_attempts,
                # The unit answerable for the result, so statistics by unit read the
                # event alone (no join to a million orders); see dashboards.selectors.
                "lead_unit": o.lead_unit_id,
            }
        )

    if kind == "callback_unreachable":
        current = WorkOrder.objects.only("callback_attempts").get(pk=_pk(order))
        if current.callback_attempts + 1 >= settings.HOTLINE_CALLBACK_MAX_ATTEMPTS:
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


def work_order_reveal_caller(*, order: OrderRef, actor: AbstractBaseUser) -> dict:
    """Give the caller's full name and number to a user whose work needs them; the
    reading is recorded in the event log. Confidential callers are never given to units."""
    from workorders.privacy import may_reveal

    def change(o: WorkOrder, m: Membership, at) -> Step:
        if not may_reveal(m, o):
            from workorders.errors import NotAllowed

            raise NotAllowed(_("来电人要求保密，承办单位不能查看其信息。"))
        return Step()

    o = transition(order=_pk(order), kind="reveal_caller", actor=actor, change=change)
    return {"name": o.caller_name, "phone": o.caller_phone}


def is_open(order: WorkOrder) -> bool:
    return order.status not in TERMINAL_STATUSES
