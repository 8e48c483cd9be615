"""Orders from monitoring systems (城运感知): a camera's video analysis or a sensor
network reports a detection, and it becomes a submitted order in the operators' queue.

Each source is a service account with its own API token; a detection is identified by
the source's own event id, and reporting the same id again (a retry after a timeout,
two senders, a replay) returns the order the first report opened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke
from community.models import MonitorEvent, MonitorSource
from grids.models import Membership, OrgUnit, Role
from workorders.choices import Channel
from workorders.errors import InvalidInput, NotAllowed
from workorders.models import Category, WorkOrder
from workorders.selectors import active_minor_category
from workorders.services import work_order_intake

MAX_EVENT_ID = 100


def monitor_source_create(
    *, code: str, name: str, unit: OrgUnit, default_category: Category | None = None
) -> tuple[MonitorSource, str]:
    """A source with its service account (no password, no staff rights; a grid-worker
    membership in ``unit`` so it may submit and nothing more) and an API token. Returns
    the source and the token's key, which is shown once."""
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=f"monitor-{code}", password=None)
        Membership.objects.create(user=user, unit=unit, role=Role.GRID_WORKER)
        source = MonitorSource.objects.create(code=code, name=name, user=user, default_category=default_category)
        _token, key = api_token_create(user=user, name=_("感知来源 %(code)s") % {"code": code})
    return source, key


def monitor_source_of(*, user) -> MonitorSource | None:
    """The active source whose service account ``user`` is, or None."""
    if user is None or not user.is_authenticated:
        return None
    return MonitorSource.objects.filter(user_id=user.pk, is_active=True).select_related("default_category").first()


@dataclass
class Intake:
    order: WorkOrder
    created: bool  # False: the event id was reported before; this is that order


def _existing(source: MonitorSource, event_id: str) -> Intake | None:
    row = MonitorEvent.objects.filter(source=source, event_id=event_id).select_related("order").first()
    return Intake(order=row.order, created=False) if row is not None else None


def monitor_event_report(
    *,
    source: MonitorSource,
    event_id: str,
    title: str,
    description: str = "",
    category_code: str = "",
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    detected_at: datetime | None = None,
    photo: UploadedFile | None = None,
    now: datetime | None = None,
) -> Intake:
    """Open a submitted order (channel 城运感知) for a detection, once per (source,
    event id). Raises InvalidInput naming the field, NotAllowed for a stopped source."""
    now = now or timezone.now()
    event_id = (event_id or "").strip()
    if not source.is_active:
        raise NotAllowed(_("感知来源 %(code)s 已停用。") % {"code": source.code})
    if not event_id:
        raise InvalidInput({"event_id": _("请提供来源事件号。")})
    if len(event_id) > MAX_EVENT_ID:
        raise InvalidInput({"event_id": _("来源事件号不能超过 %(n)d 个字符。") % {"n": MAX_EVENT_ID}})
    seen = _existing(source, event_id)
    if seen is not None:  # the common retry, answered without taking any lock
        return seen
    category = source.default_category
    if category_code:
        category = active_minor_category(category_code)
    text = (description or "").strip() or (title or "").strip()
    try:
        with transaction.atomic():
            # The claim first: a concurrent report of the same id blocks here on the
            # unique index until this transaction ends (see MonitorEvent).
            claim = MonitorEvent.objects.create(
                source=source, event_id=event_id, detected_at=detected_at, received_at=now
            )
            # The photo is checked before the order is written; a bad one rolls the claim back too.
            order = work_order_intake(
                channel=Channel.SENSOR,
                actor=source.user,
                title=title or "",
                description=text,
                address=address,
                lat=lat,
                lng=lng,
                category=category,
                photo=photo,
                public=False,
                now=now,
            )
            claim.order = order
            claim.save(update_fields=["order"])
    except IntegrityError:
        # Another report of this id committed while we waited: answer with its order.
        seen = _existing(source, event_id)
        if seen is None:  # pragma: no cover - the unique index said it exists
            raise
        return seen
    return Intake(order=order, created=True)


def monitor_source_rotate_key(*, source: MonitorSource) -> str:
    """Revoke the source's live tokens and issue a new key (shown once)."""
    with transaction.atomic():
        # One by one through api_token_revoke: its save tells the token cache at once.
        for token in ApiToken.objects.filter(user=source.user, revoked_at__isnull=True):
            api_token_revoke(token=token)
        _token, key = api_token_create(user=source.user, name=_("感知来源 %(code)s") % {"code": source.code})
    return key


__all__ = ["Intake", "monitor_event_report", "monitor_source_create", "monitor_source_of"]
