"""现场核查: a site visit with photo and position recorded on the order (issue 16).

A category can require one (``Category.requires_site_check``); the dispatcher may then
approve the reply only when a check has been recorded since the order's latest
(re)assignment, so a check done for a unit that has since been replaced does not count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from grids.geometry import geometry_from_geojson
from workorders.errors import InvalidInput
from workorders.models import Event, WorkOrder
from workorders.services._common import OrderRef, _pk
from workorders.workflow import Step, transition

# "Near" the order: within this many metres of its grid's boundary or of its reported
# position. Why 300 m: phone GPS among high-rises is off by 20-100 m, and an order's own
# position is mostly geocoded from the caller's address (a 小区's gate or centroid, often
# 100-200 m from the building in question); 300 m covers both errors together, while a
# "check" made from the street office or the community's own building, typically a
# kilometre or more away, is still refused.
NEAR_METRES = 300.0

EARTH_RADIUS_M = 6_371_008.8

# The events after which the order sits with a new unit: a check recorded before them
# was made by (or for) another unit and no longer counts.
ASSIGNMENT_KINDS = ("assign", "reassign", "center_redispatch")


@dataclass(frozen=True)
class Nearness:
    distance_m: float | None  # None: the order has neither a grid boundary nor a position
    inside_grid: bool
    measured_from: str  # "grid", "position" or "" (nothing to measure from)


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _metres_to_boundary(boundary: dict, lat: float, lng: float) -> tuple[float, bool]:
    """Distance from the point to the polygon in metres (0 inside). The polygon is
    projected equirectangularly around the point: at a grid's scale (a few km) the
    error is far below GPS error, and it needs no projection library. shapely is imported
    here, by the one action that measures, not by every process that imports the services."""
    from shapely.affinity import affine_transform
    from shapely.geometry import Point

    geom = geometry_from_geojson(boundary)
    k_lat = math.pi * EARTH_RADIUS_M / 180
    k_lng = k_lat * math.cos(math.radians(lat))
    # x = (lng - lng0) * k_lng, y = (lat - lat0) * k_lat
    local = affine_transform(geom, [k_lng, 0, 0, k_lat, -lng * k_lng, -lat * k_lat])
    origin = Point(0, 0)
    inside = local.covers(origin)
    return (0.0 if inside else local.distance(origin)), inside


def site_check_nearness(*, order: WorkOrder, lat: float, lng: float) -> Nearness:
    grid = order.grid
    if grid is not None and grid.boundary:
        distance, inside = _metres_to_boundary(grid.boundary, lat, lng)
        if not inside and order.lat is not None and order.lng is not None:
            # The order's own position can lie just outside its grid's drawn boundary.
            distance = min(distance, haversine_m(lat, lng, order.lat, order.lng))
        return Nearness(distance_m=distance, inside_grid=inside, measured_from="grid")
    if order.lat is not None and order.lng is not None:
        distance = haversine_m(lat, lng, order.lat, order.lng)
        return Nearness(distance_m=distance, inside_grid=False, measured_from="position")
    return Nearness(distance_m=None, inside_grid=False, measured_from="")


def _coordinate(value, low: float, high: float, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput({field: _("请提供有效的经纬度。")}) from None
    if not math.isfinite(number) or not (low <= number <= high):
        raise InvalidInput({field: _("请提供有效的经纬度。")})
    return number


def work_order_site_check(
    *,
    order: OrderRef,
    actor: User,
    photo: UploadedFile | None,
    lat: float | str | None,
    lng: float | str | None,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Record a 现场核查: a photo (through the attachments service, in the same
    transaction) and a position that must be inside the order's grid or within
    NEAR_METRES of it. Does not change the status."""
    lat_f = _coordinate(lat, -90, 90, "lat")
    lng_f = _coordinate(lng, -180, 180, "lng")
    if photo is None:
        raise InvalidInput({"photo": _("现场核查需上传现场照片。")})

    def change(o: WorkOrder, m, at) -> Step:
        near = site_check_nearness(order=o, lat=lat_f, lng=lng_f)
        if near.distance_m is not None and near.distance_m > NEAR_METRES:
            raise InvalidInput(
                {
                    "lat": _("核查位置距工单所在网格约 %(d)d 米，超出 %(n)d 米，请在现场核查。")
                    % {"d": round(near.distance_m), "n": NEAR_METRES}
                }
            )
        from attachments.services import attachment_add  # attachments imports workorders.models

        attachment = attachment_add(order=o, upload=photo, field="photo", public=False, now=at)
        return Step(
            payload={
                "attachment": attachment.pk,
                "lat": lat_f,
                "lng": lng_f,
                "distance_m": None if near.distance_m is None else round(near.distance_m, 1),
                "inside_grid": near.inside_grid,
                "measured_from": near.measured_from,
            }
        )

    return transition(
        order=_pk(order),
        kind="site_check",
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def latest_site_check(order: WorkOrder) -> Event | None:
    """The check that counts for approval: the newest one after the latest (re)assignment."""
    events = Event.objects.filter(order_id=order.pk)
    last_assignment = events.filter(kind__in=ASSIGNMENT_KINDS).order_by("-seq").values_list("seq", flat=True).first()
    checks = events.filter(kind="site_check")
    if last_assignment is not None:
        checks = checks.filter(seq__gt=last_assignment)
    return checks.select_related("actor").order_by("-seq").first()


def site_check_required_missing(order: WorkOrder) -> bool:
    category = order.category
    return bool(category and category.requires_site_check) and latest_site_check(order) is None


@dataclass(frozen=True)
class SiteCheckSummary:
    """What the reviewer sees: whether the category requires a check and the one that counts."""

    required: bool
    event: Event | None
    attachment: object | None  # attachments.Attachment (its state decides whether it is served yet)
    distance_m: float | None
    inside_grid: bool
    lat: float | None
    lng: float | None

    @property
    def missing(self) -> bool:
        return self.required and self.event is None


def site_check_summary(order: WorkOrder) -> SiteCheckSummary | None:
    """None when there is nothing to show (not required and never checked)."""
    required = bool(order.category is not None and order.category.requires_site_check)
    event = latest_site_check(order)
    if not required and event is None:
        return None
    p = event.payload if event else {}
    from attachments.models import Attachment  # attachments imports workorders.models

    attachment = (
        Attachment.objects.filter(pk=p["attachment"], order_id=order.pk).first() if p.get("attachment") else None
    )
    return SiteCheckSummary(
        required=required,
        event=event,
        attachment=attachment,
        distance_m=p.get("distance_m"),
        inside_grid=bool(p.get("inside_grid")),
        lat=p.get("lat"),
        lng=p.get("lng"),
    )
