from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from grids.selectors import visible_unit_ids
from hotline.process_cache import ProcessCache
from workorders.models import Category, CoHandling, Event, WorkOrder


def work_orders_visible_to(user: AbstractBaseUser) -> QuerySet[WorkOrder]:
    """Orders the user may see: all for the center, else those whose current or lead
    unit (or a co-handling unit) lies in the subtree of one of the user's units."""
    qs = WorkOrder.objects.all()
    unit_ids = visible_unit_ids(user)
    if unit_ids is None:
        return qs
    if not unit_ids:
        return qs.none()
    cohandled = CoHandling.objects.filter(order=OuterRef("pk"), unit_id__in=unit_ids)
    return qs.filter(Q(current_unit_id__in=unit_ids) | Q(lead_unit_id__in=unit_ids) | Exists(cohandled))


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
