"""Point in polygon and the few other polygon figures the request and routing paths
need, in plain Python (issue 14, item 3: memory).

Why not shapely here: shapely imports NumPy, ~16-20 MB in every gunicorn worker and
Celery child that places an order, for a question a few hundred grid polygons answer in
microseconds: a bounding-box filter, then a crossing-number test. shapely stays where a
boundary is validated (``grids.geometry.geometry_from_geojson``: the admin, the district
import) and where a distance to a polygon is measured (the site check).

Exactness: a point on an edge or a vertex counts as inside (shapely's ``covers``), and
the sidedness of a point against an edge is decided by the sign of an orientation
determinant computed in floating point and, when that is too close to 0 to trust,
again in exact rational arithmetic (a float is an exact fraction), so a point exactly on
a shared edge is on it, as GEOS's robust predicates say. ``grids/tests/test_polygons.py``
holds ``covers`` equal to shapely's on grid boundaries, their vertices, edge midpoints
and random points.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Generic, TypeVar

T = TypeVar("T")
Ring = list[tuple[float, float]]  # (lng, lat), closed: first == last
# |det| below this share of the operands' magnitude: recompute exactly. Rounding of the
# float determinant is at most a few units of 2^-52 of it.
_FILTER = 1e-12


def _orient(ax: float, ay: float, bx: float, by: float, px: float, py: float) -> int:
    """Sign of the cross product (b - a) × (p - a): 1 left of a→b, -1 right, 0 on the line."""
    det = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
    bound = (abs(bx - ax) * abs(py - ay) + abs(by - ay) * abs(px - ax)) * _FILTER
    if det > bound:
        return 1
    if det < -bound:
        return -1
    fax, fay = Fraction(ax), Fraction(ay)
    exact = (Fraction(bx) - fax) * (Fraction(py) - fay) - (Fraction(by) - fay) * (Fraction(px) - fax)
    return (exact > 0) - (exact < 0)


def _ring_position(ring: Ring, x: float, y: float) -> int:
    """1 inside the ring, 0 on it, -1 outside (crossing number, Sunday's rule)."""
    crossings = 0
    for (ax, ay), (bx, by) in zip(ring, ring[1:], strict=False):
        if min(ay, by) <= y <= max(ay, by):
            side = _orient(ax, ay, bx, by, x, y)
            if side == 0 and min(ax, bx) <= x <= max(ax, bx):
                return 0  # on the edge (or its end, or a horizontal edge)
            if (ay <= y < by and side > 0) or (by <= y < ay and side < 0):
                crossings += 1  # an upward edge right of the point, or a downward one left
    return 1 if crossings % 2 else -1


class Shape:
    """A GeoJSON Polygon or MultiPolygon as rings: ``polygons`` is a list of
    [exterior, *holes]."""

    __slots__ = ("polygons", "bounds")

    def __init__(self, polygons: list[list[Ring]]) -> None:
        self.polygons = polygons
        xs = [x for poly in polygons for x, _ in poly[0]]
        ys = [y for poly in polygons for _, y in poly[0]]
        self.bounds = (min(xs), min(ys), max(xs), max(ys))

    @classmethod
    def from_geojson(cls, data: dict) -> Shape:
        """The rings of a Polygon/MultiPolygon (or a Feature holding one); ValueError if the
        structure is not one. Validity (self-intersection) is ``geometry_from_geojson``'s
        job where a boundary is saved; this only reads one."""
        if not isinstance(data, dict):
            raise ValueError("boundary must be a GeoJSON object")
        if data.get("type") == "Feature":
            data = data.get("geometry") or {}
        kind, coords = data.get("type"), data.get("coordinates")
        if kind not in {"Polygon", "MultiPolygon"} or not isinstance(coords, list):
            raise ValueError("boundary must be a GeoJSON Polygon or MultiPolygon")
        try:
            polys = [coords] if kind == "Polygon" else list(coords)
            out = []
            for poly in polys:
                rings = []
                for ring in poly:
                    pts = [(float(p[0]), float(p[1])) for p in ring]
                    if len(pts) < 3:
                        raise ValueError("a ring needs at least three points")
                    if pts[0] != pts[-1]:
                        pts.append(pts[0])
                    rings.append(pts)
                if rings:
                    out.append(rings)
        except (TypeError, IndexError, KeyError) as exc:
            raise ValueError(f"boundary is not valid GeoJSON: {exc}") from exc
        if not out:
            raise ValueError("boundary polygon is empty")
        shape = cls(out)
        minx, miny, maxx, maxy = shape.bounds
        if not (minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90):
            raise ValueError("boundary coordinates must be WGS-84 longitude/latitude")
        return shape

    def covers(self, x: float, y: float) -> bool:
        """Inside or on the boundary (shapely's ``covers``)."""
        minx, miny, maxx, maxy = self.bounds
        if not (minx <= x <= maxx and miny <= y <= maxy):
            return False
        for exterior, *holes in self.polygons:
            where = _ring_position(exterior, x, y)
            if where < 0:
                continue
            if where == 0:
                return True
            inside = True
            for hole in holes:
                h = _ring_position(hole, x, y)
                if h == 0:
                    return True  # on a hole's edge: on the boundary
                if h > 0:
                    inside = False
                    break
            if inside:
                return True
        return False

    def centroid(self) -> tuple[float, float]:
        """The area-weighted centroid, holes subtracted (shapely's ``centroid``)."""
        x0, y0 = self.polygons[0][0][0]  # coordinates relative to one vertex: fewer digits lost
        area = mx = my = 0.0
        for rings in self.polygons:
            for k, ring in enumerate(rings):
                a = sx = sy = 0.0
                for (ax, ay), (bx, by) in zip(ring, ring[1:], strict=False):
                    ax, ay, bx, by = ax - x0, ay - y0, bx - x0, by - y0
                    cross = ax * by - bx * ay
                    a += cross
                    sx += (ax + bx) * cross
                    sy += (ay + by) * cross
                if not a:
                    continue
                # The ring's centroid is (sx, sy) / (3a) whatever its orientation; its
                # weight is its area, negative for a hole.
                weight = abs(a) / 2 * (1 if k == 0 else -1)
                area += weight
                mx += weight * sx / (3 * a)
                my += weight * sy / (3 * a)
        if not area:
            minx, miny, maxx, maxy = self.bounds
            return (minx + maxx) / 2, (miny + maxy) / 2
        return x0 + mx / area, y0 + my / area


class Index(Generic[T]):
    """Shapes with a payload; ``covering(x, y)`` lists the payloads of those covering it.
    A linear bounding-box scan: a district's few hundred grids take ~0.1 ms."""

    def __init__(self, items: list[tuple[Shape, T]]) -> None:
        self.items = items

    def covering(self, x: float, y: float) -> list[T]:
        out = []
        for shape, payload in self.items:
            minx, miny, maxx, maxy = shape.bounds
            if minx <= x <= maxx and miny <= y <= maxy and shape.covers(x, y):
                out.append(payload)
        return out
