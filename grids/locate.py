"""Where is this? Point-in-polygon over the grid boundaries, then address aliases."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db.models import Count, Max
from shapely import STRtree
from shapely.geometry import Point
from shapely.prepared import prep

from grids.geometry import check_position, geometry_from_geojson
from grids.models import AddressAlias, OrgUnit, UnitKind


@dataclass(frozen=True)
class Location:
    street: OrgUnit | None
    community: OrgUnit | None
    grid: OrgUnit | None
    method: str  # "point" or "alias"


class _GridIndex:
    """An STRtree of the grid polygons, rebuilt when any unit changes.

    Building it costs a few milliseconds for a district's grids; checking whether it is
    stale costs one aggregate query, so an edited boundary is seen by the next call in
    every process without any cache-invalidation message.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._tree: STRtree | None = None
        self._entries: list[tuple[object, int, str]] = []

    def _current_stamp(self) -> tuple:
        agg = OrgUnit.objects.aggregate(n=Count("id"), t=Max("updated_at"))
        return (agg["n"], agg["t"])

    def candidates(self, point: Point) -> list[int]:
        stamp = self._current_stamp()
        with self._lock:
            if stamp != self._stamp:
                self._rebuild(stamp)
            tree, entries = self._tree, self._entries
        if tree is None:
            return []
        hits = []
        for idx in tree.query(point):
            prepared, unit_id, code = entries[int(idx)]
            if prepared.covers(point):  # covers: a point on the edge counts as inside
                hits.append((code, unit_id))
        # Adjacent grids share edges; the lowest code wins so the answer is stable.
        return [unit_id for _, unit_id in sorted(hits)]

    def _rebuild(self, stamp: tuple) -> None:
        geoms, entries = [], []
        for unit in OrgUnit.objects.filter(kind=UnitKind.GRID, is_active=True).exclude(boundary=None):
            try:
                geom = geometry_from_geojson(unit.boundary)
            except ValueError:
                continue  # an invalid boundary is reported by OrgUnit.clean in the admin
            geoms.append(geom)
            entries.append((prep(geom), unit.pk, unit.code))
        self._tree = STRtree(geoms) if geoms else None
        self._entries = entries
        self._stamp = stamp


_index = _GridIndex()


def _location_for_grid(grid: OrgUnit, method: str) -> Location:
    community = grid.parent
    street = community.parent if community else None
    return Location(street=street, community=community, grid=grid, method=method)


def locate_point(lat: float, lng: float) -> Location | None:
    check_position(lat, lng)
    ids = _index.candidates(Point(lng, lat))
    if not ids:
        return None
    grid = OrgUnit.objects.select_related("parent__parent").get(pk=ids[0])
    return _location_for_grid(grid, "point")


def locate_address(address: str) -> Location | None:
    """The longest alias contained in the address wins (「幸福里小区3号楼」 → 幸福里小区)."""
    text = (address or "").strip()
    if not text:
        return None
    best = None
    for alias in AddressAlias.objects.select_related("community__parent", "grid").only(
        "alias", "community", "grid", "community__parent"
    ):
        if alias.alias in text and (best is None or len(alias.alias) > len(best.alias)):
            best = alias
    if best is None:
        return None
    community = best.community
    return Location(street=community.parent, community=community, grid=best.grid, method="alias")


def locate(*, lat: float | None = None, lng: float | None = None, address: str = "") -> Location | None:
    """Find grid, community and street: by position when given, else by address alias."""
    if lat is not None and lng is not None:
        found = locate_point(float(lat), float(lng))
        if found is not None:
            return found
    return locate_address(address)
