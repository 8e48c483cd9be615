"""Plain-dict presenters for work orders on the hot paths (intake, lists, my queue).

Why not the serializers: building a ModelSerializer's fields costs ~9 ms of CPU per
response (field introspection and deep copies on every instantiation), more than the
whole intake service. The serializers in api.serializers remain the documented
contract (OpenAPI); test_presenters checks these functions return exactly what the
serializers would, and Schemathesis checks responses against the schema."""

from __future__ import annotations

from typing import cast

from rest_framework.fields import DateTimeField

from community.models import EmergencyTransferIn
from grids.models import OrgUnit
from workorders.choices import Status
from workorders.models import Category, WorkOrder
from workorders.privacy import caller_for, order_text
from workorders.transitions import allowed_kinds

_DATETIME = DateTimeField()  # stateless: renders in the current time zone like the serializers


def _dt(value) -> str | None:
    return _DATETIME.to_representation(value) if value is not None else None


def unit_ref(unit: OrgUnit | None) -> dict | None:
    if unit is None:
        return None
    return {"id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind}


def category_ref(category: Category | None) -> dict | None:
    if category is None:
        return None
    return {
        "code": category.code,
        "name": category.name,
        "major": category.parent.name if category.parent is not None else "",
    }


def order_summary(order: WorkOrder, user) -> dict:
    """Title and address as ``user`` may read them (workorders.privacy)."""
    return {
        "number": order.number,
        "status": order.status,
        # Not get_status_display(): it hashes every lazy choice label (a dozen gettext
        # calls) per row.
        "status_label": str(Status(order.status).label),
        "channel": order.channel,
        "request_type": order.request_type,
        "urgency": order.urgency,
        "title": order_text(user, order, order.title, field="title"),
        "address": order_text(user, order, order.address, field="address"),
        "category": category_ref(order.category if order.category_id else None),
        "current_unit": unit_ref(order.current_unit if order.current_unit_id else None),
        "due_at": _dt(order.due_at),
        "created_at": _dt(order.created_at),
        "version": order.version,
    }


# The order's reverse one-to-one to its transfer-in record, whose cache the intake fills
# (community.emergency): the creation answer then reads no row back.
_TRANSFER_IN = EmergencyTransferIn._meta.get_field("order").remote_field


def transferred_in(order: WorkOrder) -> dict | None:
    """来自紧急热线转办: the line that handed the order to 12345, its reference and when."""
    if _TRANSFER_IN.is_cached(order):
        record = cast("EmergencyTransferIn | None", _TRANSFER_IN.get_cached_value(order))
        row = None if record is None else (record.line, record.reference, record.created_at)
    else:
        row = (
            EmergencyTransferIn.objects.filter(order_id=order.pk).values_list("line", "reference", "created_at").first()
        )
    return None if row is None else {"line": row[0], "reference": row[1], "at": _dt(row[2])}


def order_detail(order: WorkOrder, user) -> dict:
    return {
        **order_summary(order, user),
        "description": order_text(user, order, order.description, field="description"),
        "lat": order.lat,
        "lng": order.lng,
        "street": unit_ref(order.street if order.street_id else None),
        "community": unit_ref(order.community if order.community_id else None),
        "grid": unit_ref(order.grid if order.grid_id else None),
        "lead_unit": unit_ref(order.lead_unit if order.lead_unit_id else None),
        "caller": caller_for(user, order),
        "reply": order_text(user, order, order.reply, field="reply"),
        "replied_at": _dt(order.replied_at),
        "callback_resolution": order.callback_resolution,
        "callback_satisfaction": order.callback_satisfaction,
        "callback_attempts": order.callback_attempts,
        "reopen_count": order.reopen_count,
        "return_count": order.return_count,
        "parent": order.parent.number if order.parent is not None else None,
        "updated_at": _dt(order.updated_at),
        "closed_at": _dt(order.closed_at),
        "allowed_actions": allowed_kinds(order.status),
        "transferred_in": transferred_in(order),
    }


def order_created(order: WorkOrder, user) -> dict:
    return {**order_detail(order, user), "tracking_code": order.tracking_code}
