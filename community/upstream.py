"""The connector to the city's 12345 platform (上级交办).

In: the platform POSTs signed webhooks. ``dispatch`` hands an order down (it becomes a
submitted order of channel 上级交办 with the platform's id kept, once however often it is
delivered); ``urge`` is the platform's 督办 on an order it handed down.

Out: acceptance, rejection, reply, closure, reopening and an emergency transfer of such an
order are reported back. The workflow records a follow-up row (task
community.upstream_report, named by the rules' ``channel_follow_ups`` in
workorders/transitions.py) in the event's own transaction; the worker POSTs the signed
report and the outbox retries it with backoff until the platform answers 2xx, or marks
it failed: the dead-letter list in the admin,
from where it can be sent again. Each report carries ``message_id`` (one per event), so a
report whose answer was lost and is sent again is the same message to the platform.

Signature, both ways: header X-Hotline-Timestamp (unix seconds) and X-Hotline-Signature
"sha256=" + hex HMAC-SHA256(secret, "<timestamp>.<body>"); a timestamp outside
HOTLINE_UPSTREAM_MAX_SKEW is refused, so a captured webhook cannot be replayed later."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import UpstreamOrder, UpstreamReport
from grids.models import Membership, OrgUnit, Role, UnitKind
from workorders.choices import Channel
from workorders.errors import InvalidInput, NotAllowed
from workorders.models import Event, WorkOrder
from workorders.selectors import active_minor_category
from workorders.services import work_order_submit
from workorders.workflow import Step, transition

logger = logging.getLogger(__name__)

ACCOUNT = "upstream-12345"
TIMESTAMP_HEADER = "X-Hotline-Timestamp"
SIGNATURE_HEADER = "X-Hotline-Signature"

# Our event → the platform's status for the order (out).
STATUS_OUT = {
    "accept": "accepted",
    "reject": "returned",  # 不予受理 here is 退回 to the platform, with the reason
    "reply": "replied",
    "callback_close": "closed",
    "close_unreachable": "closed",
    "reopen": "reopened",
    "transfer_emergency": "transferred",
}
# The platform's message type → what it does here (in).
MESSAGES_IN = {"dispatch": "submit", "urge": "urge"}


def signature_of(*, body: bytes, timestamp: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_check(*, body: bytes, timestamp: str, signature: str, now: float | None = None) -> bool:
    """True when ``signature`` signs ``body`` at ``timestamp`` with our shared secret and
    the timestamp is within the allowed skew."""
    secret = settings.HOTLINE_UPSTREAM_SECRET
    if not secret or not timestamp or not signature:
        return False
    try:
        at = int(timestamp)
    except ValueError:
        return False
    if abs((now or time.time()) - at) > settings.HOTLINE_UPSTREAM_MAX_SKEW:
        return False
    return hmac.compare_digest(signature_of(body=body, timestamp=timestamp, secret=secret), signature)


def upstream_account():
    """The service account orders handed down are submitted as (a grid-worker membership
    at the center: it may submit and nothing more). Made on first use."""
    User = get_user_model()
    user = User.objects.filter(username=ACCOUNT).first()
    if user is not None:
        return user
    center = OrgUnit.objects.filter(kind=UnitKind.CENTER, parent__isnull=True).order_by("pk").first()
    if center is None:
        raise NotAllowed(_("尚未建立12345中心单位，无法接收上级交办。"))
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=ACCOUNT, password=None)
            Membership.objects.create(user=user, unit=center, role=Role.GRID_WORKER)
    except IntegrityError:  # two first webhooks at once: the other made it
        user = User.objects.get(username=ACCOUNT)
    return user


@dataclass
class Received:
    order: WorkOrder
    created: bool


def _existing(upstream_id: str) -> Received | None:
    row = UpstreamOrder.objects.filter(upstream_id=upstream_id).select_related("order").first()
    return Received(order=row.order, created=False) if row is not None else None


def upstream_order_receive(
    *,
    upstream_id: str,
    title: str,
    description: str,
    caller_phone: str = "",
    caller_name: str = "",
    confidential: bool = False,
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
    category_code: str = "",
    deadline: datetime | None = None,
    now: datetime | None = None,
) -> Received:
    """上级交办: the platform's order becomes a submitted order (channel 上级交办) with its
    id kept; the same id again returns that order. Raises InvalidInput by field."""
    now = now or timezone.now()
    upstream_id = (upstream_id or "").strip()
    if not upstream_id or len(upstream_id) > 64:
        raise InvalidInput({"upstream_id": _("上级工单号必须是 1–64 个字符。")})
    seen = _existing(upstream_id)
    if seen is not None:
        return seen
    category = None
    if category_code:
        category = active_minor_category(category_code)
    actor = upstream_account()
    try:
        with transaction.atomic():
            order = work_order_submit(
                channel=Channel.UPSTREAM,
                actor=actor,
                title=title or "",
                description=description or "",
                caller_phone=caller_phone,
                caller_name=caller_name,
                caller_confidential=confidential,
                address=address,
                lat=lat,
                lng=lng,
                category=category,
                now=now,
            )
            # A concurrent delivery of the same id waits here on the unique index until
            # this commits, then fails and rolls its own order back (below).
            UpstreamOrder.objects.create(
                order=order, upstream_id=upstream_id, upstream_deadline=deadline, received_at=now
            )
    except IntegrityError:
        seen = _existing(upstream_id)
        if seen is None:  # pragma: no cover - the unique index said it exists
            raise
        return seen
    return Received(order=order, created=True)


def upstream_order_urge(*, upstream_id: str, message_id: str, note: str, now: datetime | None = None) -> WorkOrder:
    """The platform's 督办 on an order it handed down: our urge event (the machine's),
    once per message id. Raises InvalidInput for an unknown id, InvalidTransition when
    the order is not at a stage that can be urged."""
    row = UpstreamOrder.objects.filter(upstream_id=upstream_id).first()
    if row is None:
        raise InvalidInput({"upstream_id": _("没有上级工单号为 %(id)s 的工单。") % {"id": upstream_id}})
    with transaction.atomic():
        # Under the order's lock (taken by transition) a repeated message is seen reliably.
        locked = WorkOrder.objects.select_for_update(of=("self",)).get(pk=row.order_id)
        if Event.objects.filter(order=locked, kind="urge", payload__upstream_message_id=message_id).exists():
            return locked

        def change(o, membership, at):
            return Step(payload={"upstream_message_id": message_id, "source": "upstream"})

        return transition(order=locked, kind="urge", actor=None, change=change, note=note or _("上级督办"), now=now)


# --- out -------------------------------------------------------------------------------


class DeliveryFailed(Exception):
    """The platform did not confirm a report (error status, timeout, refused connection):
    the outbox retries it."""


def report_body(*, event: Event, upstream: UpstreamOrder) -> dict:
    order = event.order
    body = {
        "message_id": f"hotline-event-{event.pk}",
        "upstream_id": upstream.upstream_id,
        "number": order.number,
        "status": STATUS_OUT[event.kind],
        "at": event.created_at.isoformat(),
        "note": event.note,
    }
    if event.kind == "reply":
        body["reply"] = event.note
    if event.kind == "transfer_emergency":
        body["line"] = event.payload.get("line", "")
    return body


def upstream_report_deliver(*, event_id: int, attempt: int = 1) -> UpstreamReport | None:
    """Send one event's report; idempotent (an event already confirmed is not sent
    again). Returns the record, None when the event needs no report, or raises
    DeliveryFailed for the outbox to retry."""
    done = UpstreamReport.objects.filter(event_id=event_id).first()
    if done is not None:
        return done
    event = Event.objects.select_related("order").get(pk=event_id)
    upstream = UpstreamOrder.objects.filter(order_id=event.order_id).first()
    if upstream is None or event.kind not in STATUS_OUT:
        return None
    url = settings.HOTLINE_UPSTREAM_URL
    if not url:
        raise DeliveryFailed("HOTLINE_UPSTREAM_URL is not set")
    payload = report_body(event=event, upstream=upstream)
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature_of(body=body, timestamp=timestamp, secret=settings.HOTLINE_UPSTREAM_SECRET),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.HOTLINE_UPSTREAM_TIMEOUT) as response:  # noqa: S310 - the configured platform URL
            code = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code} from the platform") from exc
    except (urllib.error.URLError, OSError) as exc:  # refused, reset, timed out, no answer
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= code < 300:
        raise DeliveryFailed(f"HTTP {code} from the platform")
    report = UpstreamReport.objects.create(
        event=event, upstream=upstream, status=payload["status"], attempts=attempt, delivered_at=timezone.now()
    )
    logger.info("Reported %s of %s to the upstream platform", payload["status"], upstream.upstream_id)
    return report
