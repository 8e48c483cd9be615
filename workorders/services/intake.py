"""Intake: orders come into being (hotline call, public submission) and are accepted,
rejected, merged or answered on the spot."""

from __future__ import annotations

import contextlib
import re
import secrets
from datetime import datetime
from typing import TypedDict, Unpack

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from grids.locate import locate
from grids.models import OrgUnit, UnitKind
from workorders.choices import (
    Channel,
    RequestType,
    Status,
    Urgency,
)
from workorders.errors import InvalidInput
from workorders.models import Category, WorkOrder
from workorders.scope import orders_visible_to
from workorders.services._common import OrderRef, _choice, _pk
from workorders.workflow import Step, create, transition

PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{5,18}[0-9]$")
MAX_TEXT = {"title": 200, "description": 4000, "address": 255, "caller_name": 50}
TRACKING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone
# A channel that asks for no title (resident and patrol pages, Open311, posters, sensors)
# gets the description's first line, cut to what a queue row and an SMS show. One length
# for every channel: the same complaint reads the same wherever it came in.
DERIVED_TITLE_LENGTH = 30


def tracking_code(length: int = 6) -> str:
    """A random code over TRACKING_ALPHABET, every code equally likely: the digits of one
    draw below 31**6 (one read of the system's randomness, where a choice per character
    made six; issue 14)."""
    base = len(TRACKING_ALPHABET)
    n = secrets.randbelow(base**length)
    chars = []
    for _position in range(length):
        n, digit = divmod(n, base)
        chars.append(TRACKING_ALPHABET[digit])
    return "".join(chars)


def intake_title(description: str) -> str:
    """The title an order gets when none is given: the description's first non-blank line."""
    lines = [line.strip() for line in (description or "").splitlines() if line.strip()]
    return lines[0][:DERIVED_TITLE_LENGTH] if lines else ""


def _validate_intake(
    *,
    title: str,
    description: str,
    address: str,
    caller_name: str,
    caller_phone: str,
    lat: float | None,
    lng: float | None,
    category: Category | None,
    urgency: str,
    request_type: str,
    channel: str,
    phone_required: bool,
) -> dict:
    errors: dict[str, str] = {}
    values = {"title": title, "description": description, "address": address, "caller_name": caller_name}
    for field, limit in MAX_TEXT.items():
        if len(values[field] or "") > limit:
            errors[field] = _("不能超过 %(limit)d 个字符（现为 %(n)d）。") % {"limit": limit, "n": len(values[field])}
    if not (title or "").strip():
        errors["title"] = _("请填写标题。")
    if not (description or "").strip():
        errors["description"] = _("请填写诉求内容。")
    phone = (caller_phone or "").strip()
    if phone and not PHONE_RE.match(phone):
        errors["caller_phone"] = _("电话号码格式不正确。")
    elif phone_required and not phone:
        errors["caller_phone"] = _("请填写联系电话。")
    if (lat is None) != (lng is None):
        errors["lat" if lat is None else "lng"] = _("经纬度必须同时填写。")
    if lat is not None and not -90 <= lat <= 90:
        errors["lat"] = _("纬度必须在 -90 到 90 之间。")
    if lng is not None and not -180 <= lng <= 180:
        errors["lng"] = _("经度必须在 -180 到 180 之间。")
    if category is not None and (not category.is_minor or not category.is_active):
        errors["category"] = _("请选择一个启用中的小类。")
    _choice(errors, "urgency", urgency, Urgency)
    _choice(errors, "request_type", request_type, RequestType)
    _choice(errors, "channel", channel, Channel)
    return errors


def _new_order(
    *,
    channel,
    request_type,
    caller_name,
    caller_phone,
    caller_confidential,
    title,
    description,
    address,
    lat,
    lng,
    category,
    urgency,
    phone_required,
) -> WorkOrder:
    errors = _validate_intake(
        title=title,
        description=description,
        address=address,
        caller_name=caller_name,
        caller_phone=caller_phone,
        lat=lat,
        lng=lng,
        category=category,
        urgency=urgency,
        request_type=request_type,
        channel=channel,
        phone_required=phone_required,
    )
    if errors:
        raise InvalidInput(errors)
    order = WorkOrder(
        channel=channel,
        request_type=request_type,
        caller_name=(caller_name or "").strip(),
        caller_phone=(caller_phone or "").strip(),
        caller_confidential=caller_confidential,
        title=title.strip(),
        description=description.strip(),
        address=(address or "").strip(),
        lat=lat,
        lng=lng,
        category=category,
        urgency=urgency,
        tracking_code=tracking_code(),
    )
    where = locate(lat=lat, lng=lng, address=order.address)
    if where is not None:
        order.street, order.community, order.grid = where.street, where.community, where.grid
    return order


def work_order_log_call(
    *,
    actor: User | None,  # None is refused by the rule: a person's step
    caller_phone: str,
    title: str,
    description: str,
    category: Category | None = None,
    caller_name: str = "",
    caller_confidential: bool = False,
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
    urgency: str = Urgency.NORMAL,
    request_type: str = RequestType.COMPLAINT,
    auto_dispatch: bool = True,
    community: OrgUnit | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """An operator logs a hotline call; it is accepted at once and routed after commit.
    ``community`` (or a grid) is the operator's own pick of the place, which wins over
    what the address resolver made of the address."""
    order = _new_order(
        channel=Channel.HOTLINE,
        request_type=request_type,
        caller_name=caller_name,
        caller_phone=caller_phone,
        caller_confidential=caller_confidential,
        title=title,
        description=description,
        address=address,
        lat=lat,
        lng=lng,
        category=category,
        urgency=urgency,
        phone_required=True,
    )
    if community is not None:
        _place_at(order, community)
    return create(kind="log_call", actor=actor, order=order, now=now, queue_follow_ups=auto_dispatch)


def work_order_submit(
    *,
    channel: str,
    title: str,
    description: str,
    actor: User | None = None,
    caller_phone: str = "",
    caller_name: str = "",
    caller_confidential: bool = False,
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
    category: Category | None = None,
    urgency: str = Urgency.NORMAL,
    request_type: str = RequestType.COMPLAINT,
    community: OrgUnit | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """A resident (no actor), a grid worker or another system submits a request; it
    waits in the operators' queue to be accepted. ``community`` (a QR poster's) or a
    grid (a grid worker's own, on patrol) places the order when neither position nor
    address locates it."""
    if channel == Channel.HOTLINE:
        raise InvalidInput({"channel": _("热线来电请使用登记来电。")})
    order = _new_order(
        channel=channel,
        request_type=request_type,
        caller_name=caller_name,
        caller_phone=caller_phone,
        caller_confidential=caller_confidential,
        title=title,
        description=description,
        address=address,
        lat=lat,
        lng=lng,
        category=category,
        urgency=urgency,
        phone_required=actor is None,
    )
    if community is not None and order.community_id is None:
        _place_at(order, community)
    return create(kind="submit", actor=actor, order=order, now=now)


class IntakeFields(TypedDict, total=False):
    """What work_order_intake passes on to work_order_log_call / work_order_submit."""

    caller_phone: str
    caller_name: str
    caller_confidential: bool
    address: str
    lat: float | None
    lng: float | None
    category: Category | None
    urgency: str
    request_type: str
    community: OrgUnit | None


def work_order_intake(
    *,
    channel: str,
    description: str,
    title: str = "",
    actor: User | None = None,
    photo: UploadedFile | None = None,
    photo_field: str = "photo",
    public: bool | None = None,
    self_handled: str | None = None,
    transferred_from: str = "",
    transfer_reference: str = "",
    auto_dispatch: bool = True,
    now: datetime | None = None,
    **fields: Unpack[IntakeFields],
) -> WorkOrder:
    """An order from any channel together with the photo it came with: a hotline call
    is logged (work_order_log_call), anything else submitted (work_order_submit, which
    ``fields`` go to). Without a title the description's first line is the title
    (intake_title), for every channel alike. The photo is checked before anything is
    written (``public``, by default when there is no actor, applies the lower pixel cap
    of a resident without an account); the order, its photo and, for a report fixed on
    the spot (``self_handled``: what was done), the self_handle that closes it commit in
    one transaction, so an order never exists without the photo it was sent with, nor a
    closed report half done. A matter an emergency line handed over (``transferred_from``:
    110/119/120/122, ``transfer_reference``: that line's own incident number, optional)
    is a hotline call whose record of the hand-over (community.EmergencyTransferIn)
    commits with the order; line and reference are checked before anything is written.
    ``auto_dispatch`` (False: the caller routes it) is for hotline calls only;
    work_order_submit has no such choice."""
    from attachments.services import attachment_add, attachment_check  # attachments imports workorders.models
    from community.emergency import (  # same
        emergency_transfer_in_check,
        emergency_transfer_in_none,
        emergency_transfer_in_record,
    )

    title = (title or "").strip() or intake_title(description)
    public = actor is None if public is None else public
    transferred_from = (transferred_from or "").strip()
    if transferred_from or (transfer_reference or "").strip():
        if channel != Channel.HOTLINE:
            raise InvalidInput({"transferred_from": _("紧急热线转来的事项请按热线来电登记。")})
        if not transferred_from:
            raise InvalidInput({"transferred_from": _("填写了对方编号，请选择转来的紧急热线。")})
        emergency_transfer_in_check(line=transferred_from, reference=transfer_reference)
    if photo is not None:
        attachment_check(upload=photo, field=photo_field, public=public)
    # An order alone is written in create()'s own transaction: a transaction around it
    # would make that one a savepoint, two more round trips per intake for nothing.
    several = bool(transferred_from) or photo is not None or self_handled is not None
    with transaction.atomic() if several else contextlib.nullcontext():
        if channel == Channel.HOTLINE:
            order = work_order_log_call(
                actor=actor, title=title, description=description, auto_dispatch=auto_dispatch, now=now, **fields
            )
        else:
            order = work_order_submit(
                channel=channel, actor=actor, title=title, description=description, now=now, **fields
            )
        if transferred_from and actor is not None:  # a logged call (checked above) always has its operator
            emergency_transfer_in_record(order=order, actor=actor, line=transferred_from, reference=transfer_reference)
        else:
            emergency_transfer_in_none(order)
        if photo is not None:
            attachment_add(order=order, upload=photo, field=photo_field, public=public, now=now)
        if self_handled is not None:
            order = work_order_self_handle(order=order, actor=actor, result=self_handled, now=now)
    return order


def _place_at(order: WorkOrder, unit: OrgUnit) -> None:
    """Place the order in a community or grid named by a person (or a QR poster)."""
    if unit.kind == UnitKind.GRID:
        order.grid, unit = unit, unit.parent_unit
    elif unit.kind != UnitKind.COMMUNITY:
        raise InvalidInput({"community": _("位置必须是一个社区或网格。")})
    elif order.grid is not None and order.grid.parent_id != unit.pk:
        order.grid = None  # the resolver's grid lies in another community
    order.community, order.street = unit, unit.parent


def _set_category(order: WorkOrder, category: Category | None, urgency: str | None) -> None:
    errors: dict[str, str] = {}
    if category is not None:
        if not category.is_minor or not category.is_active:
            errors["category"] = _("请选择一个启用中的小类。")
        order.category = category
    if urgency is not None:
        _choice(errors, "urgency", urgency, Urgency)
        order.urgency = urgency
    if errors:
        raise InvalidInput(errors)


def work_order_accept(
    *,
    order: OrderRef,
    actor: User,
    category: Category | None = None,
    urgency: str | None = None,
    note: str = "",
    expected_version: int | None = None,
    auto_dispatch: bool = True,
    now: datetime | None = None,
) -> WorkOrder:
    """受理: an operator accepts a submitted request, with its category (required) and
    urgency. The table's "accept" rule (workorders/transitions.py) has it routed after
    commit (``auto_dispatch`` False: the caller routes it itself)."""

    def change(o: WorkOrder, m, at) -> Step:
        _set_category(o, category, urgency)
        if o.category_id is None:
            raise InvalidInput({"category": _("受理前请选择分类。")})
        return Step()

    return transition(
        order=_pk(order),
        kind="accept",
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
        queue_follow_ups=auto_dispatch,
    )


def work_order_reject(
    *,
    order: OrderRef,
    actor: User,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """不予受理: an operator rejects a submitted request; the table's "reject" rule
    (workorders/transitions.py) requires the reason, which becomes the event's note."""
    return transition(
        order=_pk(order), kind="reject", actor=actor, note=reason, expected_version=expected_version, now=now
    )


def work_order_merge(
    *,
    order: OrderRef,
    actor: User,
    into: WorkOrder | str,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """并单: ``order`` joins ``into`` (an order or its number). The target must be one the
    actor may see: one outside their scope is refused exactly like a number that does
    not exist, so merging cannot be used to learn which numbers exist elsewhere."""
    into = _merge_target(actor, into)

    def change(o: WorkOrder, m, at) -> Step:
        if into.pk == o.pk:
            raise InvalidInput({"into": _("不能并入自身。")})
        if into.status in {Status.MERGED, Status.REJECTED}:
            raise InvalidInput({"into": _("目标工单 %(n)s 已并单或不予受理。") % {"n": into.number}})
        o.parent = into
        return Step(payload={"into": into.number})

    return transition(
        order=_pk(order),
        kind="merge",
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def _merge_target(actor: User, into: WorkOrder | str) -> WorkOrder:
    visible = orders_visible_to(actor)
    if isinstance(into, WorkOrder):
        found = visible.filter(pk=into.pk).first()
    else:
        found = visible.filter(number=into.strip()).first() if into.strip() else None
    if found is None:
        raise InvalidInput({"into": _("没有这个工单。")})
    return found


def work_order_self_handle(
    *,
    order: OrderRef,
    actor: User | None,  # None is refused by the rule: a person's step
    result: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """自行处置: the grid worker who reported a problem fixed it on the spot. Only their own
    report (the table's DESK scope for a grid worker), only while it waits to be accepted,
    and only with a photo of the result already on the order (stored in the same
    transaction by the page or the API) and a word on what was done, which becomes the reply."""

    def change(o: WorkOrder, m, at) -> Step:
        # attachments hang off the order (attachments.Attachment.order, related_name).
        if not o.attachments.exists():
            raise InvalidInput({"photo": _("自行处置需上传处置后的现场照片。")})
        o.reply, o.replied_at = result.strip(), at
        return Step()

    return transition(
        order=_pk(order),
        kind="self_handle",
        actor=actor,
        change=change,
        note=result,
        expected_version=expected_version,
        now=now,
    )


def work_order_answer_now(
    *,
    order: OrderRef,
    actor: User,
    answer: str,
    expected_version: int | None = None,
    now: datetime | None = None,
    payload: dict | None = None,
) -> WorkOrder:
    """即时办结: the operator answered on the call; the answer is the reply. ``payload``
    goes into the event as it is (the knowledge app records the article answered from)."""

    def change(o: WorkOrder, m, at) -> Step:
        o.reply, o.replied_at = answer.strip(), at
        return Step(payload=dict(payload or {}))

    return transition(
        order=_pk(order),
        kind="answer_now",
        actor=actor,
        change=change,
        note=answer,
        expected_version=expected_version,
        now=now,
    )
