"""GeoJSON helpers (WGS-84, coordinates in lng/lat order as GeoJSON requires).

shapely (and with it NumPy, ~16-20 MB) is imported by ``geometry_from_geojson`` when a
boundary is validated (the admin, the district import) or measured (the site check),
not by importing this module: placing an order uses grids.polygons."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry


def geometry_from_geojson(data: dict) -> BaseGeometry:
    """Parse a GeoJSON Polygon/MultiPolygon (or a Feature holding one); ValueError if not."""
    from shapely.geometry import shape

    if not isinstance(data, dict):
        raise ValueError("boundary must be a GeoJSON object")
    if data.get("type") == "Feature":
        data = data.get("geometry") or {}
    if data.get("type") not in {"Polygon", "MultiPolygon"}:
        raise ValueError("boundary must be a GeoJSON Polygon or MultiPolygon")
    try:
        geom = shape(data)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"boundary is not valid GeoJSON: {exc}") from exc
    if geom.is_empty or not geom.is_valid:
        raise ValueError("boundary polygon is empty or self-intersecting")
    for lng, lat in _corners(geom):
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise ValueError("boundary coordinates must be WGS-84 longitude/latitude")
    return geom


def _corners(geom: BaseGeometry):
    minx, miny, maxx, maxy = geom.bounds
    return [(minx, miny), (maxx, maxy)]


def check_position(lat: float, lng: float) -> None:
    if not (-90 <= lat <= 90):
        raise ValueError(f"latitude {lat} is outside -90..90")
    if not (-180 <= lng <= 180):
        raise ValueError(f"longitude {lng} is outside -180..180")
