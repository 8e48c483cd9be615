"""Open311 GeoReport v2 on top of the work-order services: keys, catalogue, and the
mapping between an Open311 service request and our work order.

What GET requests publish, to anyone, without a key: the category, status, responsible
unit, times, position, and the description and address after redact_order_text()
(workorders.privacy: phone numbers, ID and card numbers, e-mail, plates, room numbers and
the caller's name removed). Never published: orders of callers who asked for
confidentiality, the caller's name and phone, the tracking code, the handler's reply,
events and their notes. ``media_url`` is always empty: residents' photos show faces,
plates and front doors, nobody reviews them before publication, and the files are only
served to staff within their scope (web and /api/v1/orders/{number}/attachments)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from open311.models import ApiKey
from workorders.choices import TERMINAL_STATUSES, Channel, RequestType, Status
from workorders.errors import InvalidInput
from workorders.models import Category, Deadline, WorkOrder
from workorders.privacy import redact_order_text
from workorders.services import work_order_submit

# Our field names → the Open311 parameter a client sent, so errors name their field.
FIELD_NAMES = {
    "caller_phone": "phone",
    "caller_name": "first_name",
    "lat": "lat",
    "lng": "long",
    "address": "address_string",
    "description": "description",
    "title": "description",
    "category": "service_code",
    "request_type": "attribute[request_type]",
    "urgency": "attribute[urgency]",
}
# Custom attributes of every service (service definition), all optional.
ATTRIBUTES = {
    "request_type": RequestType,
}


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def open311_api_key_create(*, name: str, user: AbstractBaseUser | None = None) -> tuple[ApiKey, str]:
    """A new key; returns the row and the raw key, which is not stored."""
    raw = secrets.token_urlsafe(24)
    key = ApiKey.objects.create(name=name, key_hash=_hash(raw), prefix=raw[:6], user=user)
    return key, raw


def open311_api_key_check(*, raw: str) -> ApiKey | None:
    if not raw:
        return None
    key = ApiKey.objects.select_related("user").filter(key_hash=_hash(raw), is_active=True).first()
    if key is not None:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key


def services_offered() -> QuerySet[Category]:
    """The service list: active minor categories (a major class is their group)."""
    return Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent").order_by("code")


def open311_request_create(
    *,
    key: ApiKey,
    service_code: str,
    description: str = "",
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    caller_name: str = "",
    caller_phone: str = "",
    attributes: dict[str, str] | None = None,
) -> WorkOrder:
    """POST requests: a submitted order (channel open311) through work_order_submit, as
    the key's service account. Raises InvalidInput keyed by Open311 parameter names."""
    category = services_offered().filter(code=service_code).first()
    if category is None:
        raise InvalidInput({"service_code": _("没有这个服务：%(c)s。") % {"c": service_code}})
    attributes = attributes or {}
    unknown = sorted(set(attributes) - set(ATTRIBUTES))
    if unknown:
        raise InvalidInput({f"attribute[{unknown[0]}]": _("未知属性。")})
    text = (description or "").strip() or category.name
    title = text.splitlines()[0][:50]
    try:
        return work_order_submit(
            channel=Channel.OPEN311,
            actor=key.user,
            title=title,
            description=text,
            caller_phone=caller_phone,
            caller_name=caller_name,
            address=address,
            lat=lat,
            lng=lng,
            category=category,
            request_type=attributes.get("request_type", RequestType.COMPLAINT),
        )
    except InvalidInput as exc:
        raise InvalidInput({FIELD_NAMES.get(k, k): v for k, v in exc.errors.items()}) from None


# --- presenting ------------------------------------------------------------------------


def published_orders() -> QuerySet[WorkOrder]:
    """Orders Open311 shows: those with a service (category). Confidential callers'
    orders are never published."""
    return (
        WorkOrder.objects.filter(category__isnull=False, caller_confidential=False)
        .select_related("category", "lead_unit", "current_unit", "parent")
        .prefetch_related(
            Prefetch(
                "deadlines",
                queryset=Deadline.objects.filter(stage="handle", state="open"),
                to_attr="open_handle",
            ),
        )
    )


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def status_notes(order: WorkOrder) -> str:
    label = str(Status(order.status).label)
    if order.status == Status.MERGED and order.parent_id:
        return _("%(s)s：与 %(n)s 合并办理") % {"s": label, "n": order.parent.number}
    return label


def expected_at(order: WorkOrder) -> datetime | None:
    """When the handling stage is due (its open deadline), else the nearest open one."""
    if order.status in TERMINAL_STATUSES:
        return None
    handle = next((d for d in getattr(order, "open_handle", []) if d.stage == "handle"), None)
    if handle is None and not hasattr(order, "open_handle"):
        handle = order.deadlines.filter(stage="handle", state="open").first()
    return handle.due_at if handle else order.due_at


def present(order: WorkOrder) -> dict:
    """One service request, with the spec's element names, in the spec's order."""
    unit = order.lead_unit or order.current_unit
    return {
        "service_request_id": order.number,
        "status": "closed" if order.status in TERMINAL_STATUSES else "open",
        "status_notes": status_notes(order),
        "service_name": order.category.name,
        "service_code": order.category.code,
        "description": redact_order_text(order, order.description)[:4000],
        "agency_responsible": unit.name if unit else None,
        "service_notice": None,
        "requested_datetime": _iso(order.created_at),
        "updated_datetime": _iso(order.updated_at),
        "expected_datetime": _iso(expected_at(order)),
        "address": redact_order_text(order, order.address) or None,
        "address_id": None,
        "zipcode": None,
        "lat": order.lat,
        "long": order.lng,
        "media_url": None,  # photos are not published: see the module docstring
    }


def present_service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.closure_standard or category.name,
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(category.keywords.split()),
        "group": category.parent.name,
    }


def present_definition(category: Category) -> dict:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": code,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("诉求类型"),
                "order": i,
                "description": _("诉求类型（默认：投诉）"),
                "values": [{"key": value, "name": str(label)} for value, label in choices.choices],
            }
            for i, (code, choices) in enumerate(ATTRIBUTES.items(), start=1)
        ],
    }
