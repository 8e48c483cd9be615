"""The work-order life cycle as typed service functions (``work_order_<verb>``).

Each one validates its input, then calls ``workflow.transition`` (or ``create``), which
owns locking, the status table, permissions, the event and the timers. Pages, the API,
Celery tasks and management commands call these and nothing below them.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.locate import locate
from grids.models import Membership, OrgUnit, UnitKind
from workorders import deadlines
from workorders.choices import (
    TERMINAL_STATUSES,
    Channel,
    CoHandlingState,
    ExtensionState,
    RequestType,
    Resolution,
    ReturnReason,
    Satisfaction,
    Stage,
    Status,
    Urgency,
)
from workorders.errors import InvalidInput
from workorders.models import Category, CoHandling, ExtensionRequest, WorkOrder
from workorders.workflow import Step, create, transition

PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{5,18}[0-9]$")
MAX_TEXT = {"title": 200, "description": 4000, "address": 255, "caller_name": 50}
TRACKING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone

OrderRef = WorkOrder | int


def _pk(order: OrderRef) -> int:
    return order.pk if isinstance(order, WorkOrder) else order


def _choice(errors: dict, field: str, value: str, choices) -> None:
    if value not in choices.values:
        errors[field] = _("「%(value)s」不是有效选项，可选：%(options)s。") % {
            "value": value,
            "options": ", ".join(choices.values),
        }


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
        tracking_code="".join(secrets.choice(TRACKING_ALPHABET) for _ in range(6)),
    )
    where = locate(lat=lat, lng=lng, address=order.address)
    if where is not None:
        order.street, order.community, order.grid = where.street, where.community, where.grid
    return order


def work_order_log_call(
    *,
    actor: AbstractBaseUser,
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
    now: datetime | None = None,
) -> WorkOrder:
    """An operator logs a hotline call; it is accepted at once and routed after commit."""
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
    return create(kind="log_call", actor=actor, order=order, now=now, queue_follow_ups=auto_dispatch)


def work_order_submit(
    *,
    channel: str,
    title: str,
    description: str,
    actor: AbstractBaseUser | None = None,
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
    waits in the operators' queue to be accepted. A QR poster passes its community."""
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
        if community.kind != UnitKind.COMMUNITY:
            raise InvalidInput({"community": _("二维码必须属于一个社区。")})
        order.community, order.street = community, community.parent
    return create(kind="submit", actor=actor, order=order, now=now)


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
    actor: AbstractBaseUser,
    category: Category | None = None,
    urgency: str | None = None,
    note: str = "",
    expected_version: int | None = None,
    auto_dispatch: bool = True,
    now: datetime | None = None,
) -> WorkOrder:
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
    actor: AbstractBaseUser,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    return transition(
        order=_pk(order), kind="reject", actor=actor, note=reason, expected_version=expected_version, now=now
    )


def work_order_merge(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    into: WorkOrder,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
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


def work_order_answer_now(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    answer: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """即时办结: the operator answered on the call; the answer is the reply."""

    def change(o: WorkOrder, m, at) -> Step:
        o.reply, o.replied_at = answer.strip(), at
        return Step()

    return transition(
        order=_pk(order),
        kind="answer_now",
        actor=actor,
        change=change,
        note=answer,
        expected_version=expected_version,
        now=now,
    )


def _check_target_unit(unit: OrgUnit) -> None:
    if not unit.is_active:
        raise InvalidInput({"unit": _("单位「%(u)s」已停用。") % {"u": unit.name}})
    if unit.kind not in {UnitKind.STREET, UnitKind.DEPARTMENT, UnitKind.CENTER, UnitKind.COMMUNITY}:
        raise InvalidInput({"unit": _("只能派给街道、社区、职能部门或中心。")})


def work_order_assign(
    *,
    order: OrderRef,
    actor: AbstractBaseUser | None,
    unit: OrgUnit,
    note: str = "",
    reasons: dict | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Dispatch to a unit (actor None: the auto-dispatcher). Opens sign/contact/handle timers."""

    def change(o: WorkOrder, m, at) -> Step:
        _check_target_unit(unit)
        o.lead_unit = o.current_unit = unit
        return Step(payload={"unit": unit.pk, **({"routing": reasons} if reasons else {})})

    return transition(
        order=_pk(order),
        kind="assign",
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_sign(
    *, order: OrderRef, actor: AbstractBaseUser, expected_version: int | None = None, now: datetime | None = None
) -> WorkOrder:
    return transition(order=_pk(order), kind="sign", actor=actor, expected_version=expected_version, now=now)


def work_order_return(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    reason: str,
    note: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """退单: the lead unit sends the order back to the dispatchers with a coded reason."""

    def change(o: WorkOrder, m, at) -> Step:
        errors: dict[str, str] = {}
        _choice(errors, "reason", reason, ReturnReason)
        if errors:
            raise InvalidInput(errors)
        if o.current_unit_id != o.lead_unit_id:
            raise InvalidInput({"reason": _("下派的工单请退回上级单位，而不是退单。")})
        returned_from = o.current_unit_id
        o.return_count += 1
        o.current_unit = o.lead_unit = None
        return Step(payload={"reason": reason, "from_unit": returned_from, "return_count": o.return_count})

    return transition(
        order=_pk(order),
        kind="return",
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_return_up(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    note: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """A sub-dispatched unit hands the order back to the unit above it."""

    def change(o: WorkOrder, m, at) -> Step:
        if o.current_unit_id == o.lead_unit_id:
            raise InvalidInput({"note": _("主办单位请使用退单。")})
        o.current_unit = o.current_unit.parent
        return Step()

    return transition(
        order=_pk(order),
        kind="return_up",
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_reassign(
    *,
    order: OrderRef,
    actor: AbstractBaseUser | None,
    unit: OrgUnit,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Re-dispatch a returned order (to the same unit: the return is overruled)."""

    def change(o: WorkOrder, m, at) -> Step:
        _check_target_unit(unit)
        o.lead_unit = o.current_unit = unit
        return Step(payload={"unit": unit.pk})

    return transition(
        order=_pk(order),
        kind="reassign",
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_sub_dispatch(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    unit: OrgUnit,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Street → community → grid: each level passes the order one level down."""

    def change(o: WorkOrder, m, at) -> Step:
        if unit.parent_id != o.current_unit_id or not unit.is_active:
            raise InvalidInput({"unit": _("只能下派给本单位的直属下级单位。")})
        o.current_unit = unit
        return Step(payload={"unit": unit.pk})

    return transition(
        order=_pk(order),
        kind="sub_dispatch",
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_contact(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    return transition(
        order=_pk(order), kind="contact", actor=actor, note=note, expected_version=expected_version, now=now
    )


def work_order_request_extension(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    proposed_due: datetime,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    def change(o: WorkOrder, m: Membership, at) -> Step:
        if o.extension_requests.filter(state=ExtensionState.PENDING).exists():
            raise InvalidInput({"proposed_due": _("已有待审批的延期申请。")})
        current = o.deadlines.filter(stage=Stage.HANDLE, state="open").first()
        if current is None:
            raise InvalidInput({"proposed_due": _("办理环节没有正在计时的时限。")})
        if proposed_due <= current.due_at:
            raise InvalidInput(
                {
                    "proposed_due": _("申请延至的时间必须晚于当前时限 %(due)s。")
                    % {"due": timezone.localtime(current.due_at).strftime("%Y-%m-%d %H:%M")}
                }
            )
        ExtensionRequest.objects.create(
            order=o, unit=m.unit, requested_by=actor, reason=reason.strip(), proposed_due=proposed_due, created_at=at
        )
        return Step(payload={"proposed_due": proposed_due.isoformat()})

    return transition(
        order=_pk(order),
        kind="request_extension",
        actor=actor,
        change=change,
        note=reason,
        expected_version=expected_version,
        now=now,
    )


def _decide_extension(kind: str, approve: bool, order, actor, note, expected_version, now) -> WorkOrder:
    def change(o: WorkOrder, m, at) -> Step:
        request = o.extension_requests.filter(state=ExtensionState.PENDING).first()
        if request is None:
            raise InvalidInput({"extension": _("没有待审批的延期申请。")})
        request.state = ExtensionState.APPROVED if approve else ExtensionState.DENIED
        request.decided_by, request.decided_at, request.decision_note = actor, at, note.strip()
        request.save()
        if approve:
            deadlines.extend_deadline(order=o, stage=Stage.HANDLE, new_due=request.proposed_due)
            o.due_at = deadlines.OpenDeadlines(o).nearest_due()
        return Step(payload={"extension": request.pk, "proposed_due": request.proposed_due.isoformat()})

    return transition(
        order=_pk(order),
        kind=kind,
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_approve_extension(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    return _decide_extension("approve_extension", True, order, actor, note, expected_version, now)


def work_order_deny_extension(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    note: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    return _decide_extension("deny_extension", False, order, actor, note, expected_version, now)


def work_order_add_cohandlers(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    units: list[OrgUnit],
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """吹哨报到: the handling unit calls in assisting units."""

    def change(o: WorkOrder, m, at) -> Step:
        if not units:
            raise InvalidInput({"units": _("请选择至少一个协办单位。")})
        existing = set(o.cohandlings.values_list("unit_id", flat=True))
        for unit in units:
            if unit.pk == o.current_unit_id or unit.pk in existing or not unit.is_active:
                raise InvalidInput({"units": _("「%(u)s」不能作为协办单位（已在办理或已停用）。") % {"u": unit.name}})
            if unit.kind == UnitKind.CENTER:
                raise InvalidInput({"units": _("中心不能作为协办单位。")})
        CoHandling.objects.bulk_create([CoHandling(order=o, unit=u, asked_at=at) for u in units])
        return Step(payload={"units_asked": [u.pk for u in units]})

    return transition(
        order=_pk(order),
        kind="add_cohandler",
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def _cohandling_step(kind, new_state, order, actor, note, expected_version, now) -> WorkOrder:
    def change(o: WorkOrder, m: Membership, at) -> Step:
        row = o.cohandlings.get(unit=m.unit)
        expected = CoHandlingState.ASKED if new_state == CoHandlingState.SIGNED else CoHandlingState.SIGNED
        if row.state != expected:
            raise InvalidInput({"state": _("协办当前状态为「%(s)s」。") % {"s": row.get_state_display()}})
        row.state = new_state
        if new_state == CoHandlingState.SIGNED:
            row.signed_at = at
        else:
            row.reported_at, row.report = at, note.strip()
        row.save()
        return Step(payload={"unit": m.unit_id})

    return transition(
        order=_pk(order),
        kind=kind,
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_cohandler_sign(
    *, order: OrderRef, actor: AbstractBaseUser, expected_version: int | None = None, now: datetime | None = None
) -> WorkOrder:
    return _cohandling_step("cohandler_sign", CoHandlingState.SIGNED, order, actor, "", expected_version, now)


def work_order_cohandler_report(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    report: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    return _cohandling_step("cohandler_report", CoHandlingState.REPORTED, order, actor, report, expected_version, now)


def work_order_urge(
    *,
    order: OrderRef,
    actor: AbstractBaseUser | None,
    note: str = "",
    payload: dict | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """督办 by a supervisor, or by the deadline scanner (actor None)."""
    return transition(
        order=_pk(order),
        kind="urge",
        actor=actor,
        note=note,
        now=now,
        change=lambda o, m, at: Step(payload=payload or {}),
    )


def work_order_reply(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    reply: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    def change(o: WorkOrder, m, at) -> Step:
        if len(reply) > 4000:
            raise InvalidInput({"reply": _("不能超过 4000 个字符。")})
        o.reply, o.replied_at = reply.strip(), at
        return Step()

    return transition(
        order=_pk(order),
        kind="reply",
        actor=actor,
        change=change,
        note=reply,
        expected_version=expected_version,
        now=now,
    )


def work_order_approve(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    return transition(
        order=_pk(order), kind="approve", actor=actor, note=note, expected_version=expected_version, now=now
    )


def work_order_send_back(
    *,
    order: OrderRef,
    actor: AbstractBaseUser,
    note: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    return transition(
        order=_pk(order), kind="send_back", actor=actor, note=note, expected_version=expected_version, now=now
    )


def work_order_callback(
    *,
    order: OrderRef,
    actor: AbstractBaseUser | None,
    contacted: bool,
    resolution: str = "",
    satisfaction: str = "",
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Record a callback (回访): satisfied or basically satisfied closes the order,
    unsatisfied reopens it at the unit that replied, and an unreachable resident is
    tried again until HOTLINE_CALLBACK_MAX_ATTEMPTS, then the order closes as unreachable."""
    if contacted:
        errors: dict[str, str] = {}
        _choice(errors, "resolution", resolution, Resolution)
        _choice(errors, "satisfaction", satisfaction, Satisfaction)
        if errors:
            raise InvalidInput(errors)
        kind = "reopen" if satisfaction == Satisfaction.UNSATISFIED else "callback_close"
    else:
        kind = "callback_unreachable"

    def change(o: WorkOrder, m, at) -> Step:
        nonlocal kind
        o.callback_attempts += 1
        o.callback_contacted = contacted
        if contacted:
            o.callback_resolution, o.callback_satisfaction = resolution, satisfaction
            if kind == "reopen":
                o.reopen_count += 1
        return Step(
            payload={
                "contacted": contacted,
                "resolution": resolution,
                "satisfaction": satisfaction,
                "attempt": o.callback_attempts,
            }
        )

    if kind == "callback_unreachable":
        current = WorkOrder.objects.only("callback_attempts").get(pk=_pk(order))
        if current.callback_attempts + 1 >= settings.HOTLINE_CALLBACK_MAX_ATTEMPTS:
            kind = "close_unreachable"
    return transition(
        order=_pk(order),
        kind=kind,
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_reveal_caller(*, order: OrderRef, actor: AbstractBaseUser) -> dict:
    """Give the caller's full name and number to a user whose work needs them; the
    reading is recorded in the event log. Confidential callers are never given to units."""
    from workorders.privacy import may_reveal

    def change(o: WorkOrder, m: Membership, at) -> Step:
        if not may_reveal(m, o):
            from workorders.errors import NotAllowed

            raise NotAllowed(_("来电人要求保密，承办单位不能查看其信息。"))
        return Step()

    o = transition(order=_pk(order), kind="reveal_caller", actor=actor, change=change)
    return {"name": o.caller_name, "phone": o.caller_phone}


def is_open(order: WorkOrder) -> bool:
    return order.status not in TERMINAL_STATUSES
