"""Handling: dispatch to a unit, sign for, return, sub-dispatch, co-handle, extend,
urge and reply."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Membership, OrgUnit, UnitKind
from workorders import deadlines
from workorders.choices import (
    CoHandlingState,
    DeadlineState,
    ExtensionState,
    ReturnReason,
    Routing,
    Stage,
)
from workorders.errors import InvalidInput
from workorders.models import CoHandling, ExtensionRequest, WorkOrder
from workorders.services._common import OrderRef, _choice, _pk
from workorders.text_limits import LONG_TEXT_MAX
from workorders.workflow import Step, transition

# 不得层层下推: a matter a functional department owns is not pushed down to a street or
# below (国办函〔2025〕66号) unless someone at the center overrides it with a reason.
DISPATCHABLE = frozenset({UnitKind.STREET, UnitKind.DEPARTMENT, UnitKind.CENTER, UnitKind.COMMUNITY, UnitKind.PROPERTY})
BELOW_DEPARTMENTS = frozenset({UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID, UnitKind.PROPERTY})


def _push_down_check(*, o: WorkOrder, unit: OrgUnit, m, override: str) -> dict:
    """The payload part recording an override, or InvalidInput when the rule refuses."""
    category = o.category
    if category is None or category.routing != Routing.DEPARTMENT or unit.kind not in BELOW_DEPARTMENTS:
        return {}
    if not override.strip():
        raise InvalidInput(
            {
                "unit": _("分类「%(c)s」由职能部门主责，不能派给街道及以下单位；如确需下派，请由中心填写理由。")
                % {"c": category.name}
            }
        )
    if m is None or m.unit.kind != UnitKind.CENTER:
        raise InvalidInput({"override": _("只有中心可以批准职能部门事项下派。")})
    return {"push_down_override": override.strip()}


def _dispatch_to(*, unit: OrgUnit, reasons: dict | None = None, override: str = ""):
    """The change of assign and reassign: the unit becomes lead and current."""

    def change(o: WorkOrder, m, at) -> Step:
        if not unit.is_active:
            raise InvalidInput({"unit": _("单位「%(u)s」已停用。") % {"u": unit.name}})
        if unit.kind not in DISPATCHABLE:
            raise InvalidInput({"unit": _("只能派给街道、社区、职能部门、物业/行业单位或中心。")})
        pushed = _push_down_check(o=o, unit=unit, m=m, override=override)
        o.lead_unit = o.current_unit = unit
        return Step(payload={"unit": unit.pk, **({"routing": reasons} if reasons else {}), **pushed})

    return change


def work_order_assign(
    *,
    order: OrderRef,
    actor: User | None,
    unit: OrgUnit,
    note: str = "",
    reasons: dict | None = None,
    override: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Dispatch to a unit (actor None: the auto-dispatcher). Opens sign/contact/handle timers.
    ``override``: the center's reason to push a department's matter down to a street."""

    return transition(
        order=_pk(order),
        kind="assign",
        actor=actor,
        change=_dispatch_to(unit=unit, reasons=reasons, override=override),
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_sign(
    *, order: OrderRef, actor: User, expected_version: int | None = None, now: datetime | None = None
) -> WorkOrder:
    """签收: a handler of the unit holding the order signs for it. The table's "sign" rule
    (workorders/transitions.py) allows it from assigned and closes the sign timer."""
    return transition(order=_pk(order), kind="sign", actor=actor, expected_version=expected_version, now=now)


def work_order_return(
    *,
    order: OrderRef,
    actor: User,
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
    actor: User,
    note: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """A sub-dispatched unit hands the order back to the unit above it."""

    def change(o: WorkOrder, m, at) -> Step:
        if o.current_unit_id == o.lead_unit_id:
            raise InvalidInput({"note": _("主办单位请使用退单。")})
        below = o.current_unit
        if below is None:  # pragma: no cover - it differs from the lead: sub-dispatched
            raise AssertionError(f"{o.number} sits with no unit")
        o.current_unit = below.parent
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
    actor: User | None,
    unit: OrgUnit,
    note: str = "",
    override: str = "",
    review: dict | None = None,
    expected_version: int | None = None,
    overrule_return: bool | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Re-dispatch a returned order. Sending it back to the unit that returned it
    overrules the return; a person who says so (``overrule_return=True``) may, a person
    who did not (``False``, the desk's default) is refused, so the unit never gets its
    own return back by a slip of the picker. ``None`` (machines, older callers) does
    not check. The event records the decision on the return (派单异议审核): ``review`` as
    given by governance's review page, else derived here, so the desk's plain reassign
    records one too."""
    dispatch = _dispatch_to(unit=unit, override=override)

    def change(o: WorkOrder, m, at) -> Step:
        last = o.events.filter(kind="return").order_by("-seq").values_list("payload", flat=True).first() or {}
        from_unit = last.get("from_unit")
        if from_unit == unit.pk and overrule_return is False:
            raise InvalidInput(
                {"unit": _("「%(u)s」刚退回此单；如确需派回，请选择“驳回退单，仍派原单位”。") % {"u": unit.name}}
            )
        decided = review
        if decided is None:
            verdict = "fallback" if actor is None else ("overruled" if from_unit == unit.pk else "upheld")
            decided = {"decision": verdict, "reason": note.strip(), "from_unit": from_unit}
        step = dispatch(o, m, at)
        step.payload["review"] = decided
        if from_unit is not None and from_unit == unit.pk:
            step.payload["overruled_return"] = True
        return step

    return transition(
        order=_pk(order),
        kind="reassign",
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_center_redispatch(
    *,
    order: OrderRef,
    actor: User,
    unit: OrgUnit,
    note: str,
    override: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """兜底改派: an order that bounced to the center's lead (too many returns) is sent on
    by the center's desk to a unit that will handle it, with a reason."""
    dispatch = _dispatch_to(unit=unit, override=override)

    def change(o: WorkOrder, m, at) -> Step:
        if o.current_unit is None or o.current_unit.kind != UnitKind.CENTER:
            raise InvalidInput({"unit": _("只有转中心兜底的工单可以由中心改派。")})
        if m is None or m.unit.kind != UnitKind.CENTER:
            raise InvalidInput({"unit": _("只有中心可以改派兜底工单。")})
        if unit.kind == UnitKind.CENTER:
            raise InvalidInput({"unit": _("请选择承办单位。")})
        return dispatch(o, m, at)

    return transition(
        order=_pk(order),
        kind="center_redispatch",
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_sub_dispatch(
    *,
    order: OrderRef,
    actor: User,
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
    actor: User,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """联系市民: the handling unit records its first contact with the resident. The table's
    "contact" rule (workorders/transitions.py) keeps the status and closes the contact timer."""
    return transition(
        order=_pk(order), kind="contact", actor=actor, note=note, expected_version=expected_version, now=now
    )


def work_order_request_extension(
    *,
    order: OrderRef,
    actor: User,
    proposed_due: datetime,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """申请延期: one pending request at a time, for a due time past the running handle
    timer; the dispatchers decide (approve/deny_extension)."""

    def change(o: WorkOrder, m: Membership | None, at) -> Step:
        if m is None:  # pragma: no cover - a person's step (the rule is not the machine's)
            raise AssertionError("request_extension needs a membership")
        if o.extension_requests.filter(state=ExtensionState.PENDING).exists():
            raise InvalidInput({"proposed_due": _("已有待审批的延期申请。")})
        current = o.deadlines.filter(stage=Stage.HANDLE, state=DeadlineState.OPEN).first()
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


def _decide_extension(*, kind: str, approve: bool, order, actor, note, expected_version, now) -> WorkOrder:
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
    actor: User,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """批准延期: the pending request's due time becomes the handle timer's (the table's
    "approve_extension" rule, workorders/transitions.py, leaves the status)."""
    return _decide_extension(
        kind="approve_extension",
        approve=True,
        order=order,
        actor=actor,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_deny_extension(
    *,
    order: OrderRef,
    actor: User,
    note: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """驳回延期: the pending request is refused with a reason (the table's "deny_extension"
    rule, workorders/transitions.py, requires the note); the timer stays as it was."""
    return _decide_extension(
        kind="deny_extension",
        approve=False,
        order=order,
        actor=actor,
        note=note,
        expected_version=expected_version,
        now=now,
    )


def work_order_add_cohandlers(
    *,
    order: OrderRef,
    actor: User,
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


def _cohandling_step(*, kind, new_state, order, actor, note, expected_version, now) -> WorkOrder:
    def change(o: WorkOrder, m: Membership | None, at) -> Step:
        if m is None:  # pragma: no cover - a person's step (the rule is not the machine's)
            raise AssertionError("co-handling needs a membership")
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
    *, order: OrderRef, actor: User, expected_version: int | None = None, now: datetime | None = None
) -> WorkOrder:
    """协办报到: a unit asked to co-handle reports for duty (the table's "cohandler_sign"
    rule, workorders/transitions.py: scope COHANDLER, only the units asked)."""
    return _cohandling_step(
        kind="cohandler_sign",
        new_state=CoHandlingState.SIGNED,
        order=order,
        actor=actor,
        note="",
        expected_version=expected_version,
        now=now,
    )


def work_order_cohandler_report(
    *,
    order: OrderRef,
    actor: User,
    report: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """协办反馈: a co-handling unit that reported for duty gives its findings (the table's
    "cohandler_report" rule, workorders/transitions.py, requires them; the lead unit is told)."""
    return _cohandling_step(
        kind="cohandler_report",
        new_state=CoHandlingState.REPORTED,
        order=order,
        actor=actor,
        note=report,
        expected_version=expected_version,
        now=now,
    )


def work_order_urge(
    *,
    order: OrderRef,
    actor: User | None,
    note: str = "",
    payload: dict | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """督办 by a supervisor, or by a machine (actor None). The table's "urge" rule
    (workorders/transitions.py) leaves the status and has the unit told (dispatch.on_event)."""
    return transition(
        order=_pk(order),
        kind="urge",
        actor=actor,
        note=note,
        expected_version=expected_version,
        now=now,
        change=lambda o, m, at: Step(payload=payload or {}),
    )


def work_order_reply(
    *,
    order: OrderRef,
    actor: User,
    reply: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """办结上报: the unit reports what it did; the table's "reply" rule
    (workorders/transitions.py) requires the text and closes the handle and contact timers."""

    def change(o: WorkOrder, m, at) -> Step:
        if len(reply) > LONG_TEXT_MAX:
            raise InvalidInput(
                {"reply": _("不能超过 %(limit)d 个字符（现为 %(n)d）。") % {"limit": LONG_TEXT_MAX, "n": len(reply)}}
            )
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
