"""一楼一码 and 楼长: reports placed at a building.

A building's QR poster opens the public form with the building filled in (channel 一号一码,
placed at the building's position); a building captain's secret link opens the same form
with the captain as the caller (channel 楼长, counted apart in the figures)."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from community.models import Building, BuildingCaptain, CaptainReport
from workorders.choices import Channel
from workorders.models import WorkOrder
from workorders.services import work_order_intake


def building_report(
    *,
    building: Building,
    description: str,
    caller_phone: str = "",
    caller_name: str = "",
    photo: UploadedFile | None = None,
    captain: BuildingCaptain | None = None,
) -> WorkOrder:
    """A submitted order at ``building``: by its captain (channel 楼长, the captain as the
    caller) or by a resident who scanned its poster (channel 一号一码). The photo is
    checked before anything is written; order and photo are one transaction. Raises
    InvalidInput by field."""
    if captain is not None:
        caller_phone, caller_name = captain.phone, captain.name
    with transaction.atomic():
        order = work_order_intake(
            channel=Channel.CAPTAIN if captain is not None else Channel.QR,
            description=description or "",
            caller_phone=caller_phone,
            caller_name=caller_name,
            address=f"{building.address} {building.name}".strip(),
            lat=building.lat,
            lng=building.lng,
            community=building.community,
            photo=photo,
        )
        if captain is not None:
            # Which captain made it: his own list reads this, with the order, in one go.
            CaptainReport.objects.create(order=order, captain=captain)
    return order
