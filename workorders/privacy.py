"""Who sees a caller's name and number, and how much of it."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from grids.models import Membership, Role
from grids.selectors import roles_of
from workorders.models import WorkOrder

# Roles that work with residents directly see callers unmasked: operators take the
# calls and make the callbacks. Everyone else sees a masked number and can ask to
# reveal it (an audited event) when the work needs it.
UNMASKED_ROLES = frozenset({Role.OPERATOR})


def mask_phone(phone: str) -> str:
    digits = phone or ""
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return "****" if digits else ""


def mask_name(name: str) -> str:
    return (name[0] + "*" * max(1, len(name) - 1)) if name else ""


def may_reveal(membership: Membership | None, order: WorkOrder) -> bool:
    if membership is None:
        return False
    # Confidential callers are hidden from the handling side entirely.
    return not (order.caller_confidential and membership.role in {Role.HANDLER, Role.SUPERVISOR})


def caller_for(user: AbstractBaseUser | None, order: WorkOrder) -> dict:
    """The caller as this user may see them: {name, phone, masked, confidential}."""
    roles = roles_of(user) if user is not None else set()
    if roles & UNMASKED_ROLES:
        return {
            "name": order.caller_name,
            "phone": order.caller_phone,
            "masked": False,
            "confidential": order.caller_confidential,
        }
    if order.caller_confidential:
        return {"name": _("（保密）"), "phone": _("（保密）"), "masked": True, "confidential": True}
    return {
        "name": mask_name(order.caller_name),
        "phone": mask_phone(order.caller_phone),
        "masked": True,
        "confidential": False,
    }
