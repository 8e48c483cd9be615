"""Open311 GeoReport v2 on top of the work-order services: keys, catalogue, and the
mapping between an Open311 service request and our work order.

What GET requests publish, to anyone, without a key: the category, status, responsible
unit, times, position, and the description and address after redact_order_text()
(workorders.privacy: phone numbers, ID and card numbers, e-mail, plates, room numbers and
the caller's name removed). Never published: orders of callers who asked for
confidentiality, the caller's name and phone, the tracking code, the handler's reply,
events and their notes. Residents' photos show faces, plates and front doors: they are
served to staff within their scope (web and /api/v1/orders/{number}/attachments), and
published as ``media_url`` only after staff approve one (PublishedPhoto, in the admin),
never for a confidential caller. A POST's own ``media_url`` is fetched into such an
attachment only when the deployment enables it (open311.media)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from attachments.models import Attachment
from open311.attributes import service_attributes_validate
from open311.media import media_fetch
from open311.models import ApiKey, PublishedPhoto, ServiceAttribute, ServiceRequest
from workorders.choices import TERMINAL_STATUSES, Channel, DeadlineState, Stage, Status
from workorders.errors import InvalidInput, NotAllowed
from workorders.models import Category, Deadline, WorkOrder
from workorders.privacy import redact_order_text
from workorders.services import work_order_intake

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
    return (
        Category.objects.filter(parent__isnull=False, is_active=True)
        .select_related("parent")
        .annotate(has_attributes=Exists(ServiceAttribute.objects.filter(category=OuterRef("pk"))))
        .order_by("code")
    )


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
    attributes: dict[str, list[str]] | None = None,
    media_url: str = "",
    media: UploadedFile | None = None,
) -> ServiceRequest:
    """POST requests: a submitted order (channel open311) through work_order_intake, as
    the key's service account, and the ServiceRequest holding its token and attribute
    values. Raises InvalidInput keyed by Open311 parameter names, NotAllowed when the
    key's account may not submit."""
    category = services_offered().filter(code=service_code).first()
    if category is None:
        raise InvalidInput({"service_code": _("没有这个服务：%(c)s。") % {"c": service_code}})
    values = service_attributes_validate(category=category, given=attributes or {})
    # Fetched (and checked, by work_order_intake, for an upload) before the order exists,
    # so a bad photo leaves nothing behind. ``media``: a multipart upload, as the
    # GeoReport v2 extensions allow.
    if media is not None and media_url:
        raise InvalidInput({"media": _("media 与 media_url 只能二选一。")})
    photo = media_fetch(url=media_url) if media_url else media
    if key.user is not None and not key.user.is_active:
        raise NotAllowed(_("api_key 绑定的服务账号已停用。"))
    try:
        with transaction.atomic():
            order = work_order_intake(
                channel=Channel.OPEN311,
                actor=key.user,
                description=(description or "").strip() or category.name,
                caller_phone=caller_phone,
                caller_name=caller_name,
                address=address,
                lat=lat,
                lng=lng,
                category=category,
                photo=photo,
                photo_field="media" if media is not None else "media_url",
                public=True,  # whoever holds the key, the photo is a resident's
            )
            return ServiceRequest.objects.create(
                order=order, key=key, token=secrets.token_urlsafe(16), attributes=values
            )
    except InvalidInput as exc:
        raise InvalidInput({FIELD_NAMES.get(k, k): v for k, v in exc.errors.items()}) from None
    except NotAllowed as exc:
        # The workflow's message names the action; the client needs to know it is the key.
        raise NotAllowed(
            _("api_key 绑定的服务账号不能提交诉求（需要话务员或网格员角色）：%(m)s") % {"m": exc.message}
        ) from None


def open311_token_resolve(*, token: str) -> ServiceRequest | None:
    return ServiceRequest.objects.select_related("order").filter(token=token, order__caller_confidential=False).first()


def is_queued(order: WorkOrder) -> bool:
    """A public submission still awaiting 受理 is not an order yet: its number is not
    published (it may be rejected or merged) and the client holds a token."""
    return order.status == Status.SUBMITTED


# --- presenting ------------------------------------------------------------------------


def published_orders() -> QuerySet[WorkOrder]:
    """Orders Open311 shows: those with a service (category), once accepted (a queued
    submission is reached through its token). Confidential callers' orders are never
    published."""
    return (
        WorkOrder.objects.filter(category__isnull=False, caller_confidential=False)
        .exclude(status=Status.SUBMITTED)
        .select_related("category", "lead_unit", "current_unit", "parent")
        .prefetch_related(
            Prefetch(
                "deadlines",
                queryset=Deadline.objects.filter(stage=Stage.HANDLE, state=DeadlineState.OPEN),
                to_attr="open_handle",
            ),
            Prefetch(
                "attachments",
                queryset=Attachment.objects.filter(publication__isnull=False, state=Attachment.State.READY)
                .only("pk", "order_id")
                .order_by("pk"),
                to_attr="published_photos",
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
    handle = next((d for d in getattr(order, "open_handle", []) if d.stage == Stage.HANDLE), None)
    if handle is None and not hasattr(order, "open_handle"):
        handle = order.deadlines.filter(stage=Stage.HANDLE, state=DeadlineState.OPEN).first()
    return handle.due_at if handle else order.due_at


def present(order: WorkOrder, *, media_base: str = "") -> dict:
    """One service request, with the spec's element names, in the spec's order.
    ``media_base``: the absolute URL of /open311/v2/media/ for approved photos."""
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
        "media_url": _media_url(order, media_base),
    }


def _media_url(order: WorkOrder, media_base: str) -> str | None:
    """The first photo staff approved for publication; none otherwise (module docstring)."""
    photos = getattr(order, "published_photos", None)
    if photos is None:
        photos = list(order.attachments.filter(publication__isnull=False, state=Attachment.State.READY).order_by("pk"))
    return f"{media_base}{photos[0].pk}" if photos and media_base else None


def present_service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.closure_standard or category.name,
        "metadata": category.has_attributes,  # True only where services/{code} has attributes
        "type": "realtime",
        "keywords": ",".join(category.keywords.split()),
        "group": category.parent.name,
    }


def open311_photo_publish(*, attachment: Attachment, actor: AbstractBaseUser) -> PublishedPhoto:
    """Approve ``attachment`` for publication as its order's media_url. Staff only (the
    admin is where it is done); never for a confidential caller's order."""
    if not (actor.is_active and actor.is_staff):
        raise NotAllowed(_("只有管理人员可以公开照片。"))
    if attachment.order.caller_confidential:
        raise InvalidInput({"attachment": _("保密来电的照片不能公开。")})
    if not attachment.is_ready:
        raise InvalidInput({"attachment": _("照片处理完成后才能公开。")})
    photo, _created = PublishedPhoto.objects.get_or_create(attachment=attachment, defaults={"approved_by": actor})
    return photo


def published_photo(*, pk: int) -> Attachment | None:
    """An approved photo of a published order, for /open311/v2/media/{id}."""
    return (
        Attachment.objects.filter(
            pk=pk,
            publication__isnull=False,
            state=Attachment.State.READY,
            order__in=published_orders().values("pk"),
        )
        .only("file", "content_type")
        .first()
    )
