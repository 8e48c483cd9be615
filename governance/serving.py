"""被投诉率 of property companies and utilities, and who serves which place.

A place is a community, or one of its grids. A unit serves a place for a service
(grids.ServiceArea); where some unit serves a grid, that grid is theirs and not the
community-wide provider's, the same rule the router applies (grids.selectors.units_serving),
so an order counts against the company it would have been routed to.

The indicator: orders created in the period, located in the places a unit serves, whose
category is a complaint about that service (ComplaintCategory), ÷ all orders created in
the period located in those places. Rejected and merged submissions are not orders, and
an order the center excluded from assessment counts nowhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import Count, Q, QuerySet

from governance.models import ComplaintCategory
from grids.models import ServiceArea
from workorders.choices import Status
from workorders.models import WorkOrder

NOT_ORDERS = (Status.REJECTED, Status.MERGED)


@dataclass(frozen=True)
class Places:
    """Active service areas, indexed for attribution."""

    # (service, community) → {unit ids serving the whole community}
    community_wide: dict[tuple[str, int], set[int]]
    # (service, grid) → {unit ids serving that grid}
    by_grid: dict[tuple[str, int], set[int]]
    # (service, community) → grids of the community somebody serves for the service
    claimed_grids: dict[tuple[str, int], set[int]]

    def units_at(self, service: str, community_id: int, grid_id: int | None) -> set[int]:
        if grid_id is not None and (service, grid_id) in self.by_grid:
            return self.by_grid[(service, grid_id)]
        return self.community_wide.get((service, community_id), set())

    def services(self) -> set[str]:
        return {s for s, _c in self.community_wide} | {s for s, _g in self.by_grid}

    def place_q(self, unit_id: int, service: str) -> Q | None:
        """The orders located where ``unit_id`` provides ``service`` (None: nowhere)."""
        parts = []
        for (s, community), units in self.community_wide.items():
            if s == service and unit_id in units:
                parts.append(Q(community_id=community) & ~Q(grid_id__in=self.claimed_grids.get((s, community), set())))
        grids = [g for (s, g), units in self.by_grid.items() if s == service and unit_id in units]
        if grids:
            parts.append(Q(grid_id__in=grids))
        return reduce(or_, parts) if parts else None


def places() -> Places:
    community_wide: dict = defaultdict(set)
    by_grid: dict = defaultdict(set)
    claimed: dict = defaultdict(set)
    rows = ServiceArea.objects.filter(is_active=True, unit__is_active=True).values_list(
        "unit_id", "service", "community_id", "grid_id"
    )
    for unit_id, service, community_id, grid_id in rows:
        if grid_id is None:
            community_wide[(service, community_id)].add(unit_id)
        else:
            by_grid[(service, grid_id)].add(unit_id)
            claimed[(service, community_id)].add(grid_id)
    return Places(dict(community_wide), dict(by_grid), dict(claimed))


def complaint_categories() -> dict[str, set[int]]:
    out: dict[str, set[int]] = defaultdict(set)
    for category_id, service in ComplaintCategory.objects.values_list("category_id", "service"):
        out[service].add(category_id)
    return out


def _orders(start: datetime, end: datetime, excluded: QuerySet, located: set[int] | None) -> QuerySet[WorkOrder]:
    qs = (
        WorkOrder.objects.filter(created_at__gte=start, created_at__lt=end, community_id__isnull=False)
        .exclude(status__in=NOT_ORDERS)
        .exclude(pk__in=excluded)
    )
    return qs if located is None else qs.filter(community_id__in=located)


def complaint_parts(
    *, start: datetime, end: datetime, excluded: QuerySet, located: set[int] | None = None
) -> dict[int, list[int]]:
    """{unit id: [complaints, orders]} for every unit that serves somewhere, in one
    grouped query over the period's orders (place × category)."""
    rows = (
        _orders(start, end, excluded, located)
        .values("community_id", "grid_id", "category_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return attribute_places(rows)


def attribute_places(rows) -> dict[int, list[int]]:
    """{unit id: [complaints, orders]} from orders counted per place and category
    (rows of ``community_id``, ``grid_id``, ``category_id``, ``n``): each row counts for
    every unit serving its place, as a complaint for those whose service it is about.
    Additive: the rows of two periods attribute to the sum of each's."""
    where = places()
    complaints = complaint_categories()
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    services = where.services()
    for r in rows:
        counted: set[int] = set()
        complained: set[int] = set()
        for service in services:
            for unit_id in where.units_at(service, r["community_id"], r["grid_id"]):
                if unit_id not in counted:
                    out[unit_id][1] += r["n"]
                    counted.add(unit_id)
                if r["category_id"] in complaints.get(service, ()) and unit_id not in complained:
                    out[unit_id][0] += r["n"]
                    complained.add(unit_id)
    return dict(out)


def complaint_orders(
    *, start: datetime, end: datetime, unit_id: int, part: str, excluded: QuerySet, located: set[int] | None = None
) -> QuerySet[WorkOrder]:
    """The orders behind one unit's 被投诉率: its complaints ("num") or every order of its places ("all")."""
    where = places()
    complaints = complaint_categories()
    parts = []
    for service in sorted(where.services()):
        q = where.place_q(unit_id, service)
        if q is None:
            continue
        if part == "num":
            q &= Q(category_id__in=complaints.get(service, set()))
        parts.append(q)
    if not parts:
        return WorkOrder.objects.none()
    return _orders(start, end, excluded, located).filter(reduce(or_, parts))
