from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from grids.selectors import visible_unit_ids
from workorders.models import CoHandling, Event, WorkOrder


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
