"""The life cycle as data: event kind → (allowed sources, target, who, where, timers).

Kept apart from the code that executes it so that the matrix tests, the pages (which
actions to offer) and the docs all read the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grids.models import Role
from workorders.choices import TERMINAL_STATUSES, Stage, Status

CREATE = None  # "source status" of the events that create an order

# Scopes: which of the actor's memberships counts.
DESK = "desk"  # the role in a unit that covers the order (the center covers all)
UNIT = "unit"  # a handler of the unit the order currently sits with
COHANDLER = "cohandler"  # a handler of a unit asked to co-handle the order
ANYWHERE = "anywhere"  # the role anywhere (creation: there is no order yet)

ACTIVE = frozenset(
    {Status.ACCEPTED, Status.ASSIGNED, Status.RETURNED, Status.IN_PROGRESS, Status.REPLIED, Status.CALLBACK}
)


@dataclass(frozen=True)
class Rule:
    label: str
    sources: frozenset
    target: str | None  # None: the status does not change
    roles: frozenset[str]
    scope: str
    system: bool = False  # the machine (no user: router, scanner, public form) may do it
    opens: tuple[str, ...] = ()
    closes: tuple[str, ...] = ()
    cancels: tuple[str, ...] = ()
    note_required: bool = False
    # An audit-only event (reading a caller's number) is logged but is not a change:
    # it neither bumps the version nor touches timers.
    audit_only: bool = False


def _r(label, sources, target, roles, scope, **kw) -> Rule:
    return Rule(label=label, sources=frozenset(sources), target=target, roles=frozenset(roles), scope=scope, **kw)


S = Status
TRANSITIONS: dict[str, Rule] = {
    "log_call": _r(_("登记来电"), {CREATE}, S.ACCEPTED, {Role.OPERATOR}, ANYWHERE),
    "submit": _r(_("提交诉求"), {CREATE}, S.SUBMITTED, {Role.GRID_WORKER, Role.OPERATOR}, ANYWHERE, system=True),
    "accept": _r(_("受理"), {S.SUBMITTED}, S.ACCEPTED, {Role.OPERATOR}, DESK),
    # The action (Reject); the status of the same words is "Rejected".
    "reject": _r(
        pgettext_lazy("action", "不予受理"), {S.SUBMITTED}, S.REJECTED, {Role.OPERATOR}, DESK, note_required=True
    ),
    "merge": _r(_("并单"), {S.SUBMITTED}, S.MERGED, {Role.OPERATOR}, DESK),
    "answer_now": _r(_("即时办结"), {S.ACCEPTED}, S.CLOSED, {Role.OPERATOR}, DESK),
    # 自行处置: a grid worker fixed on the spot what they found on patrol; their own report
    # closes at once with what they did and a photo of the result (the service checks it).
    "self_handle": _r(_("自行处置"), {S.SUBMITTED}, S.CLOSED, {Role.GRID_WORKER}, DESK, note_required=True),
    "assign": _r(
        _("派单"),
        {S.ACCEPTED},
        S.ASSIGNED,
        {Role.DISPATCHER},
        DESK,
        system=True,
        opens=(Stage.SIGN, Stage.CONTACT, Stage.HANDLE),
    ),
    "sign": _r(_("签收"), {S.ASSIGNED}, S.IN_PROGRESS, {Role.HANDLER}, UNIT, closes=(Stage.SIGN,)),
    "return": _r(
        _("退单"),
        {S.ASSIGNED},
        S.RETURNED,
        {Role.HANDLER},
        UNIT,
        closes=(Stage.SIGN,),
        cancels=(Stage.CONTACT, Stage.HANDLE),
        opens=(Stage.RETURN_REVIEW,),
        note_required=True,
    ),
    "return_up": _r(
        _("退回上级"), {S.ASSIGNED}, S.IN_PROGRESS, {Role.HANDLER}, UNIT, closes=(Stage.SIGN,), note_required=True
    ),
    "reassign": _r(
        _("重新派单"),
        {S.RETURNED},
        S.ASSIGNED,
        {Role.DISPATCHER},
        DESK,
        system=True,
        closes=(Stage.RETURN_REVIEW,),
        opens=(Stage.SIGN, Stage.CONTACT, Stage.HANDLE),
    ),
    "sub_dispatch": _r(_("下派"), {S.IN_PROGRESS}, S.ASSIGNED, {Role.HANDLER}, UNIT, opens=(Stage.SIGN,)),
    "contact": _r(_("联系市民"), {S.IN_PROGRESS}, None, {Role.HANDLER}, UNIT, closes=(Stage.CONTACT,)),
    "request_extension": _r(_("申请延期"), {S.IN_PROGRESS}, None, {Role.HANDLER}, UNIT, note_required=True),
    "approve_extension": _r(_("批准延期"), {S.IN_PROGRESS}, None, {Role.DISPATCHER}, DESK),
    "deny_extension": _r(_("驳回延期"), {S.IN_PROGRESS}, None, {Role.DISPATCHER}, DESK, note_required=True),
    "add_cohandler": _r(_("吹哨"), {S.IN_PROGRESS}, None, {Role.HANDLER}, UNIT),
    "cohandler_sign": _r(_("协办报到"), {S.IN_PROGRESS}, None, {Role.HANDLER}, COHANDLER),
    "cohandler_report": _r(_("协办反馈"), {S.IN_PROGRESS}, None, {Role.HANDLER}, COHANDLER, note_required=True),
    # A dispatcher corrects where an order belongs (category, place) without moving it;
    # the open timers are recomputed by the service (workorders.services.reclassify).
    "reclassify": _r(_("更正分类"), ACTIVE, None, {Role.DISPATCHER}, DESK, note_required=False),
    "urge": _r(_("督办"), ACTIVE - {S.ACCEPTED}, None, {Role.SUPERVISOR}, DESK, system=True),
    "reply": _r(
        _("办结上报"),
        {S.IN_PROGRESS},
        S.REPLIED,
        {Role.HANDLER},
        UNIT,
        closes=(Stage.HANDLE, Stage.CONTACT),
        note_required=True,
    ),
    "approve": _r(_("审核通过"), {S.REPLIED}, S.CALLBACK, {Role.DISPATCHER}, DESK, opens=(Stage.CALLBACK,)),
    "send_back": _r(
        _("驳回重办"), {S.REPLIED}, S.IN_PROGRESS, {Role.DISPATCHER}, DESK, opens=(Stage.HANDLE,), note_required=True
    ),
    # system=True: a resident rating on the tracking page (no account) is the callback.
    "callback_close": _r(
        _("回访办结"), {S.CALLBACK}, S.CLOSED, {Role.OPERATOR}, DESK, system=True, closes=(Stage.CALLBACK,)
    ),
    "reopen": _r(
        _("不满意重办"),
        {S.CALLBACK},
        S.IN_PROGRESS,
        {Role.OPERATOR},
        DESK,
        system=True,
        closes=(Stage.CALLBACK,),
        opens=(Stage.HANDLE,),
    ),
    "callback_unreachable": _r(_("回访未接通"), {S.CALLBACK}, None, {Role.OPERATOR}, DESK),
    "close_unreachable": _r(
        _("联系不上办结"), {S.CALLBACK}, S.CLOSED, {Role.OPERATOR}, DESK, system=True, closes=(Stage.CALLBACK,)
    ),
    # The deadline scanner's marks (dispatch app). Audit-only: they record what the
    # machine saw and did without bumping the version, so a scan never turns a person's
    # concurrent action into a 409.
    "deadline_warn": _r(_("超时预警"), ACTIVE, None, {Role.SUPERVISOR}, DESK, system=True, audit_only=True),
    "deadline_urge": _r(_("系统督办"), ACTIVE, None, {Role.SUPERVISOR}, DESK, system=True, audit_only=True),
    "deadline_escalate": _r(_("升级督办"), ACTIVE, None, {Role.SUPERVISOR}, DESK, system=True, audit_only=True),
    # A caller rings about an order that already exists (the same problem, or chasing
    # it): the call is attached to that order instead of becoming a new one. Audit-only:
    # the caller's number and words go into the event, and a handler at work on the
    # order never meets a 409 because a resident called again.
    "supplement": _r(_("补充诉求"), ACTIVE | {S.SUBMITTED}, None, {Role.OPERATOR}, DESK, audit_only=True),
    "caller_chase": _r(_("来电催办"), ACTIVE | {S.SUBMITTED}, None, {Role.OPERATOR}, DESK, audit_only=True),
    # Retention (dispatch/retention.py): personal data removed from a closed order, by age
    # or on the resident's request (PIPL). Audit-only: the statistics' history is unchanged.
    "anonymise": _r(
        _("个人信息匿名化"), TERMINAL_STATUSES, None, {Role.SUPERVISOR}, DESK, system=True, audit_only=True
    ),
    # --- community app (issue 16) ---
    # 12345 hands a matter that belongs to an emergency line (110/119/120/122) over with a
    # record (国办发〔2022〕12号); the hotline's part ends there, so the order closes.
    "transfer_emergency": _r(
        _("转紧急热线"),
        {S.SUBMITTED, S.ACCEPTED},
        S.CLOSED,
        {Role.OPERATOR},
        DESK,
        note_required=True,
    ),
    # 回头看: a sampled second callback days after closing. Satisfied (or unreachable) is
    # recorded without changing the order; unsatisfied reopens it for the unit to redo.
    "revisit_confirm": _r(_("回头看"), {S.CLOSED}, None, {Role.OPERATOR}, DESK, audit_only=True),
    "revisit_reopen": _r(
        _("回头看不满意重办"),
        {S.CLOSED},
        S.IN_PROGRESS,
        {Role.OPERATOR},
        DESK,
        opens=(Stage.HANDLE,),
        note_required=True,
    ),
    # 现场核查: the handler records a site visit (photo, position) while handling; it does
    # not change status. Approval of the reply needs one for categories that require it.
    "site_check": _r(_("现场核查"), {S.IN_PROGRESS}, None, {Role.HANDLER}, UNIT),
    # A channel routed "community first" (community.routing): a QR-poster submission
    # located in a community goes straight to that community's queue, by the machine.
    "community_dispatch": _r(
        _("直派社区"),
        {S.SUBMITTED},
        S.ASSIGNED,
        {Role.DISPATCHER},
        DESK,
        system=True,
        opens=(Stage.SIGN, Stage.CONTACT, Stage.HANDLE),
    ),
    # 上报街道/转网格中心: beyond the unit's power, the handler sends the order up to a unit
    # above it, which becomes the lead and signs for it afresh.
    "escalate": _r(
        _("上报上级"),
        {S.ASSIGNED, S.IN_PROGRESS},
        S.ASSIGNED,
        {Role.HANDLER},
        UNIT,
        opens=(Stage.SIGN, Stage.CONTACT, Stage.HANDLE),
        note_required=True,
    ),
    # --- end community ---
    "reveal_caller": _r(
        _("查看来电人号码"),
        set(Status.values),
        None,
        # Admins too: the admin's full view of an order is this same audited event.
        {Role.OPERATOR, Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN},
        DESK,
        audit_only=True,
    ),
    # --- governance (考核, 派单异议): one block --------------------------------------
    # Exclusions and appeals are audit-only: they judge how an order counts in the
    # figures, never change the order, so a unit filing one never meets a 409 from
    # someone at work on the order. The services check that deciders sit at the center.
    **{
        kind: _r(label, set(Status.values), None, roles, DESK, audit_only=True, note_required=True)
        for kind, label, roles in (
            ("exclusion_request", _("申请剔除"), {Role.HANDLER, Role.SUPERVISOR}),
            ("exclusion_approve", _("同意剔除"), {Role.SUPERVISOR, Role.DISPATCHER}),
            ("exclusion_deny", _("驳回剔除"), {Role.SUPERVISOR, Role.DISPATCHER}),
            ("appeal_file", _("提出申诉"), {Role.HANDLER, Role.SUPERVISOR}),
            ("appeal_uphold", _("申诉成立"), {Role.SUPERVISOR, Role.DISPATCHER}),
            ("appeal_dismiss", _("申诉驳回"), {Role.SUPERVISOR, Role.DISPATCHER}),
        )
    },
    # 兜底: an order bounced to the center's lead (HOTLINE_MAX_RETURNS) sits "assigned" at
    # the center, where nobody holds the handler role; the center's desk sends it on.
    "center_redispatch": _r(
        _("兜底改派"),
        {S.ASSIGNED},
        S.ASSIGNED,
        {Role.DISPATCHER, Role.SUPERVISOR},
        DESK,
        opens=(Stage.SIGN, Stage.CONTACT, Stage.HANDLE),
        note_required=True,
    ),
}


def allowed_kinds(status: str) -> list[str]:
    """Event kinds the table allows from a status (regardless of who asks)."""
    return [kind for kind, rule in TRANSITIONS.items() if status in rule.sources and not rule.audit_only]
