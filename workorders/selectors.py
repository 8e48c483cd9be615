from __future__ import annotations

import threading
import time

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.signals import post_delete, post_save

from grids.selectors import visible_unit_ids
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


class _CategoryCache:
    """Categories by code, held per process: intake names a category on every order,
    and ~80 rows that change a few times a year are not worth a query each time.

    The whole table is re-read at most every STALE_AFTER seconds (so an edit in another
    process is seen within that time) and at once after a save or delete in this one.
    A code not in the cache is looked up in the database, so a new category works
    immediately everywhere."""

    STALE_AFTER = 5.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded_at = -1e9
        self._by_code: dict[str, Category] = {}

    def forget(self, *_args, **_kwargs) -> None:
        with self._lock:
            self._loaded_at = -1e9

    def get(self, code: str) -> Category | None:
        with self._lock:
            now = time.monotonic()
            if now - self._loaded_at > self.STALE_AFTER:
                self._by_code = {c.code: c for c in Category.objects.select_related("parent")}
                self._loaded_at = now
            found = self._by_code.get(code)
        if found is None:
            found = Category.objects.select_related("parent").filter(code=code).first()
            if found is not None:
                self.forget()
        return found


_categories = _CategoryCache()
post_save.connect(_categories.forget, sender=Category, dispatch_uid="workorders-category-cache-save")
post_delete.connect(_categories.forget, sender=Category, dispatch_uid="workorders-category-cache-delete")


def category_by_code(code: str) -> Category | None:
    """The category with this code (cached; treat the instance as read-only)."""
    return _categories.get(code)
