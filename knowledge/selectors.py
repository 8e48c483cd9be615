"""Who may read and keep the knowledge base, and which orders may become a draft."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from grids.models import Role, UnitKind
from grids.selectors import memberships_of
from workorders.choices import Satisfaction, Status
from workorders.models import WorkOrder

# Operators read answers out; dispatchers review replies and route; both use the KB.
READER_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.ADMIN})
# The center's staff who keep the policy answers (besides admins anywhere).
CENTER_EDITOR_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
# Who may turn a well-answered order into a draft (建议入库).
SUGGESTER_ROLES = frozenset({Role.DISPATCHER, Role.ADMIN})
GOOD_CALLBACK = (Satisfaction.SATISFIED, Satisfaction.BASIC)


def _center(m) -> bool:
    return m.unit.kind == UnitKind.CENTER


def may_read_articles(user: AbstractBaseUser) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return any(m.role in READER_ROLES or _center(m) for m in memberships_of(user))


def may_edit_articles(user: AbstractBaseUser) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return any(m.role == Role.ADMIN or (_center(m) and m.role in CENTER_EDITOR_ROLES) for m in memberships_of(user))


def may_suggest_articles(user: AbstractBaseUser) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return any(m.role in SUGGESTER_ROLES or (_center(m) and m.role != Role.OPERATOR) for m in memberships_of(user))


def order_was_answered_well(order: WorkOrder) -> bool:
    """A reply a person vouched for: a dispatcher approved it (审核通过), or the resident
    said at callback they were (basically) satisfied."""
    if not order.reply or order.status not in (Status.CALLBACK, Status.CLOSED):
        return False
    if order.callback_satisfaction in GOOD_CALLBACK:
        return True
    return order.events.filter(kind="approve").exists()


def order_offers_draft(*, order: WorkOrder, user: AbstractBaseUser) -> bool:
    return may_suggest_articles(user) and order_was_answered_well(order)
