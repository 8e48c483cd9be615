"""Where is this? Point-in-polygon over the grid boundaries, then address aliases."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.db.models import Count, Max

from grids.geometry import check_position
from grids.models import OrgUnit, UnitKind
from grids.polygons import Index, Shape


@dataclass(frozen=True)
class Location:
    street: OrgUnit | None
    community: OrgUnit | None
    grid: OrgUnit | None
    method: str  # "point", or how the address matched: "alias", "community", "road"


class _GridIndex:
    """The grid polygons (plain-Python rings, grids.polygons: no shapely or NumPy in the
    processes that place orders) with each grid's Location resolved in advance.

    Staleness is checked with one aggregate query at most every STALE_AFTER seconds, so
    a boundary edited in the admin is seen by every process within seconds without any
    invalidation message, and a burst of intake pays no query for locating at all.
    """

    STALE_AFTER = 5.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._checked_at = 0.0
        self._tree: Index[tuple[str, Location]] | None = None

    def reset(self) -> None:
        with self._lock:
            self._stamp, self._checked_at = None, 0.0

    def _current_stamp(self) -> tuple:
        agg = OrgUnit.objects.aggregate(n=Count("id"), t=Max("updated_at"))
        return (agg["n"], agg["t"])

    def lookup(self, lng: float, lat: float) -> Location | None:
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at > self.STALE_AFTER:
                stamp = self._current_stamp()
                if stamp != self._stamp:
                    self._rebuild(stamp)
                self._checked_at = now
            tree = self._tree
        if tree is None:
            return None
        hits = tree.covering(lng, lat)  # covers: a point on the edge counts as inside
        # Adjacent grids share edges; the lowest code wins so the answer is stable.
        return min(hits, key=lambda hit: hit[0])[1] if hits else None

    def _rebuild(self, stamp: tuple) -> None:
        entries: list[tuple[Shape, tuple[str, Location]]] = []
        grids = OrgUnit.objects.filter(kind=UnitKind.GRID, is_active=True).exclude(boundary=None)
        for unit in grids.select_related("parent__parent"):
            if unit.boundary is None:
                continue  # excluded above
            try:
                shape = Shape.from_geojson(unit.boundary)
            except ValueError:
                continue  # an invalid boundary is reported by OrgUnit.clean in the admin
            entries.append((shape, (unit.code, _location_for_grid(unit, "point"))))
        self._tree = Index(entries) if entries else None
        self._stamp = stamp


_index = _GridIndex()


def reset_cache() -> None:
    """Forget the cached grid index and gazetteer (tests, or right after a bulk import)."""
    from grids.gazetteer import reset_gazetteer

    _index.reset()
    reset_gazetteer()


def _location_for_grid(grid: OrgUnit, method: str) -> Location:
    community = grid.parent
    street = community.parent if community else None
    return Location(street=street, community=community, grid=grid, method=method)


def locate_point(lat: float, lng: float) -> Location | None:
    check_position(lat, lng)
    return _index.lookup(lng, lat)


def locate_address(address: str) -> Location | None:
    """The gazetteer's answer when it is confident enough to place the order; None for
    addresses outside the district or too vague (grids.gazetteer says which and why)."""
    from grids.gazetteer import address_resolve

    found = address_resolve(address)
    if not found.placed:
        return None
    return Location(street=found.street, community=found.community, grid=found.grid, method=found.method)


def locate(*, lat: float | None = None, lng: float | None = None, address: str = "") -> Location | None:
    """Find grid, community and street: by position when given, else by address alias."""
    if lat is not None and lng is not None:
        found = locate_point(float(lat), float(lng))
        if found is not None:
            return found
    return locate_address(address)
