"""Automatic routing: category → target unit, then assign through the workflow."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from grids.models import OrgUnit
from workorders.choices import Routing, Status
from workorders.models import WorkOrder
from workorders.services import work_order_assign

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouteDecision:
    unit: OrgUnit | None
    reasons: dict


def route_decide(order: WorkOrder) -> RouteDecision:
    category = order.category
    if category is None:
        return RouteDecision(None, {"problem": "no_category"})
    if category.routing == Routing.DEPARTMENT:
        dept = category.department
        if dept is None or not dept.is_active:
            return RouteDecision(None, {"problem": "department_missing", "category": category.code})
        return RouteDecision(dept, {"rule": "category_department", "category": category.code})
    if order.street is None:
        return RouteDecision(None, {"problem": "not_located", "category": category.code})
    return RouteDecision(order.street, {"rule": "territorial", "category": category.code})


def route_order(*, order_id: int) -> WorkOrder | None:
    """Assign an accepted order where its category says; leave it for the dispatchers
    (logged) when no target is certain. Safe to run twice: only accepted orders move."""
    order = WorkOrder.objects.select_related("category__department", "street").get(pk=order_id)
    if order.status != Status.ACCEPTED:
        return None
    decision = route_decide(order)
    if decision.unit is None:
        logger.info("Order %s left for dispatchers: %s", order.number, decision.reasons)
        return None
    return work_order_assign(order=order, actor=None, unit=decision.unit, reasons=decision.reasons)
