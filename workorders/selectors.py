from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from hotline.process_cache import ProcessCache
from workorders.errors import InvalidInput
from workorders.models import Category, Event, WorkOrder
from workorders.scope import orders_visible_to, running_orders_visible_to


def work_orders_visible_to(user: User | AnonymousUser) -> QuerySet[WorkOrder]:
    """Orders the user may see (the rule is workorders.scope's, the one definition)."""
    return orders_visible_to(user)


def work_orders_running_visible_to(user: User | AnonymousUser) -> QuerySet[WorkOrder]:
    """The running (not closed, merged or rejected) orders the user may see, as an index
    range over their units rather than a filter over every running order."""
    return running_orders_visible_to(user)


def work_order_timeline(order: WorkOrder) -> QuerySet[Event]:
    return order.events.select_related("actor", "actor_unit").order_by("seq")


def _load_categories() -> dict[str, Category]:
    return {c.code: c for c in Category.objects.select_related("parent")}


# Intake names a category on every order; ~80 rows that change a few times a year are
# not worth a query each time.
_categories = ProcessCache("workorders-categories", _load_categories, senders=[Category])


def category_by_code(code: str) -> Category | None:
    """The category with this code (cached per process; treat it as read-only). A code
    the cache does not know is looked up in the database, so a new category works at
    once everywhere."""
    found = _categories.get().get(code)
    if found is None:
        found = Category.objects.select_related("parent").filter(code=code).first()
        if found is not None:
            _categories.forget()
    return found


def category_if_cached(code: str) -> Category | None:
    """The category with this code if the per-process cache holds it (no query)."""
    return _categories.get().get(code)


def work_order_last_change(order: WorkOrder) -> Event | None:
    """The latest event that changed the order (audit-only marks such as a caller's
    number being read do not count): what a person who lost a race is told about."""
    from workorders.transitions import TRANSITIONS

    quiet = [k for k, rule in TRANSITIONS.items() if rule.audit_only]
    return order.events.exclude(kind__in=quiet).select_related("actor", "actor_unit").order_by("-seq").first()


def active_minor_category(code: str) -> Category:
    """The active minor category another system names by ``code`` (a monitoring source,
    the city platform), or InvalidInput on ``category`` saying there is none."""
    found = category_by_code(code)
    if found is None or not found.is_minor or not found.is_active:
        raise InvalidInput({"category": _("没有启用中的小类 %(code)s。") % {"code": code}})
    return found
