"""The life cycle as data: event kind → (allowed sources, target, who, where, timers,
follow-ups, where a person can do it, whose queue it waits in).

Kept apart from the code that executes it so that the matrix tests, the pages (which
actions to offer), the API's routes, the follow-up workers, the queues and the docs all
read the same table: adding a kind is one entry here, and
``hotline/tests/test_one_table.py`` fails until every interface handles it or the rule
says it is deliberately absent there. The database refuses an event of a kind not in
the table (``Event`` constraint ``event_kind_in_table``; a new kind needs a migration).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grids.models import Role
from workorders.choices import TERMINAL_STATUSES, Channel, Stage, Status

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CREATE = None  # "source status" of the events that create an order

# Scopes: which of the actor's memberships counts.
DESK = "desk"  # the role in a unit that covers the order (the center covers all)
UNIT = "unit"  # a handler of the unit the order currently sits with
COHANDLER = "cohandler"  # a handler of a unit asked to co-handle the order
ANYWHERE = "anywhere"  # the role anywhere (creation: there is no order yet)

# Follow-up tasks, by Celery task name (so this core module never imports the apps above
# it); the outbox runs each with (order_id, event_id) after commit.
ROUTE = "dispatch.route_order"  # routing an accepted order
ON_EVENT = "dispatch.on_event"  # dispatch.follow_ups.HANDLERS[kind]: who is told, returns, retries
UPSTREAM = "community.upstream_report"  # the city platform's order told of the step
CHANNEL_ROUTE = "community.channel_route"  # a channel routed "community first" (community.ChannelRouting)

# The API route of the events that bring an order into being (POST /api/v1/orders/).
API_CREATE = "create"

ACTIVE = frozenset(
    {Status.ACCEPTED, Status.ASSIGNED, Status.RETURNED, Status.IN_PROGRESS, Status.REPLIED, Status.CALLBACK}
)


@dataclass(frozen=True)
class Rule:
    label: StrOrPromise
    # The statuses the event may happen in; CREATE (None) for the events that create an order.
    sources: frozenset[Status | None]
    target: Status | None  # None: the status does not change
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
    # Recorded in the outbox with the event (workorders.workflow), by task name.
    follow_ups: tuple[str, ...] = ()
    # Only for orders of these channels: (channel, task). The city's 12345 platform is
    # told when an order it handed down is accepted, replied to, closed (community.upstream).
    channel_follow_ups: tuple[tuple[str, str], ...] = ()
    # Where a person does it: the API route (POST /api/v1/orders/<number>/<api>/, or
    # API_CREATE, or the URL name "app:name" of an endpoint an app above keeps) and the
    # order page's action key (web.actions.ACTIONS). Several kinds
    # may share one action (the four outcomes of a callback are one form). None: not
    # offered there, on purpose (the machine does it, or a page of its own does).
    api: str | None = None
    page: str | None = None
    # Statuses in which the order waits in the queue of the rule's roles (the unit's
    # queue for scope UNIT): the step is theirs to take next (api.selectors.my_queue).
    queue: frozenset[Status] = frozenset()


def _r(
    label: StrOrPromise,
    sources: Iterable[Status | None],
    target: Status | None,
    roles: Iterable[str],
    scope: str,
    *,
    ui: str | None = None,
    queue: Iterable[Status] | Literal[True] = (),
    **kw: Any,
) -> Rule:
    """A rule; ``ui`` names the action on both the API and the page (``api``/``page``
    override one of them); ``queue=True`` queues the order in every source status."""
    kw.setdefault("api", ui)
    kw.setdefault("page", ui)
    source_set = frozenset(sources)
    return Rule(
        label=label,
        sources=source_set,
        target=target,
        roles=frozenset(roles),
        scope=scope,
        # No order waits in CREATE: it has no status yet.
        queue=frozenset(s for s in source_set if s is not None) if queue is True else frozenset(queue),
        **kw,
    )


# Reported to the city's platform for the orders it handed down (channel "upstream").
TO_UPSTREAM = ((Channel.UPSTREAM.value, UPSTREAM),)


S = Status
TRANSITIONS: dict[str, Rule] = {
    # Creation. log_call and submit also tell the resident their number and code
    # (ON_EVENT); the operator console and the public and patrol forms are pages of their own.
    "log_call": _r(
        _("登记来电"), {CREATE}, S.ACCEPTED, {Role.OPERATOR}, ANYWHERE, follow_ups=(ROUTE, ON_EVENT), api=API_CREATE
    ),
    # Supervisors raise 未诉先办 orders from a topic (proactive.services.topic_raise_order).
    "submit": _r(
        _("提交诉求"),
        {CREATE},
        S.SUBMITTED,
        {Role.GRID_WORKER, Role.OPERATOR, Role.SUPERVISOR},
        ANYWHERE,
        system=True,
        follow_ups=(ON_EVENT,),
        # Channels an admin may route "community first" (community.ChannelRouting).
        channel_follow_ups=((Channel.QR.value, CHANNEL_ROUTE), (Channel.CAPTAIN.value, CHANNEL_ROUTE)),
        api=API_CREATE,
    ),
    "accept": _r(
        _("受理"),
        {S.SUBMITTED},
        S.ACCEPTED,
        {Role.OPERATOR},
        DESK,
        follow_ups=(ROUTE,),
        channel_follow_ups=TO_UPSTREAM,
        ui="accept",
        queue=True,
    ),
    # The action (Reject); the status of the same words is "Rejected".
    "reject": _r(
        pgettext_lazy("action", "不予受理"),
        {S.SUBMITTED},
        S.REJECTED,
        {Role.OPERATOR},
        DESK,
        note_required=True,
        channel_follow_ups=TO_UPSTREAM,
        ui="reject",
    ),
    "merge": _r(_("并单"), {S.SUBMITTED}, S.MERGED, {Role.OPERATOR}, DESK, ui="merge"),
    "answer_now": _r(_("即时办结"), {S.ACCEPTED}, S.CLOSED, {Role.OPERATOR}, DESK, ui="answer_now"),
    # 自行处置: a grid worker fixed on the spot what they found on patrol; their own report
    # closes at once with what they did and a photo of the result (the service checks it).
    # In the API it is a flag of the report itself; the patrol page has its own form.
    "self_handle": _r(
        _("自行处置"), {S.SUBMITTED}, S.CLOSED, {Role.GRID_WORKER}, DESK, note_required=True, api=API_CREATE
    ),
    "assign": _r(
        _("派单"),
        {S.ACCEPTED},
        S.ASSIGNED,
        {Role.DISPATCHER},
        DESK,
        system=True,
        opens=(Stage.SIGN, Stage.CONTACT, Stage.HANDLE),
        follow_ups=(ON_EVENT,),  # the unit's SMS; the dispatchers' queue entry closes
        ui="assign",
        queue=True,
    ),
    "sign": _r(
        _("签收"), {S.ASSIGNED}, S.IN_PROGRESS, {Role.HANDLER}, UNIT, closes=(Stage.SIGN,), ui="sign", queue=True
    ),
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
        follow_ups=(ON_EVENT,),  # back to the dispatchers, or to the center (兜底) after too many
        ui="return",
    ),
    "return_up": _r(
        _("退回上级"),
        {S.ASSIGNED},
        S.IN_PROGRESS,
        {Role.HANDLER},
        UNIT,
        closes=(Stage.SIGN,),
        note_required=True,
        ui="return_up",
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
        follow_ups=(ON_EVENT,),
        ui="reassign",
        queue=True,
    ),
    "sub_dispatch": _r(
        _("下派"),
        {S.IN_PROGRESS},
        S.ASSIGNED,
        {Role.HANDLER},
        UNIT,
        opens=(Stage.SIGN,),
        follow_ups=(ON_EVENT,),
        ui="sub_dispatch",
    ),
    "contact": _r(_("联系市民"), {S.IN_PROGRESS}, None, {Role.HANDLER}, UNIT, closes=(Stage.CONTACT,), ui="contact"),
    "request_extension": _r(
        _("申请延期"),
        {S.IN_PROGRESS},
        None,
        {Role.HANDLER},
        UNIT,
        note_required=True,
        follow_ups=(ON_EVENT,),
        ui="request_extension",
    ),
    "approve_extension": _r(
        _("批准延期"), {S.IN_PROGRESS}, None, {Role.DISPATCHER}, DESK, follow_ups=(ON_EVENT,), ui="approve_extension"
    ),
    "deny_extension": _r(
        _("驳回延期"),
        {S.IN_PROGRESS},
        None,
        {Role.DISPATCHER},
        DESK,
        note_required=True,
        follow_ups=(ON_EVENT,),
        ui="deny_extension",
    ),
    # One event names all the units asked at once, hence the API's plural route.
    "add_cohandler": _r(
        _("吹哨"),
        {S.IN_PROGRESS},
        None,
        {Role.HANDLER},
        UNIT,
        follow_ups=(ON_EVENT,),
        api="add_cohandlers",
        page="add_cohandler",
    ),
    "cohandler_sign": _r(_("协办报到"), {S.IN_PROGRESS}, None, {Role.HANDLER}, COHANDLER, ui="cohandler_sign"),
    "cohandler_report": _r(
        _("协办反馈"),
        {S.IN_PROGRESS},
        None,
        {Role.HANDLER},
        COHANDLER,
        note_required=True,
        follow_ups=(ON_EVENT,),
        ui="cohandler_report",
    ),
    # A dispatcher corrects where an order belongs (category, place) without moving it;
    # the open timers are recomputed by the service (workorders.services.reclassify).
    "reclassify": _r(_("更正分类"), ACTIVE, None, {Role.DISPATCHER}, DESK, note_required=False, ui="reclassify"),
    # A person's 督办 tells the unit (the scan's own urges send their SMS themselves).
    # Supervisors' queue: orders still at the units or stuck in a return.
    "urge": _r(
        _("督办"),
        ACTIVE - {S.ACCEPTED},
        None,
        {Role.SUPERVISOR},
        DESK,
        system=True,
        follow_ups=(ON_EVENT,),
        ui="urge",
        queue={S.ASSIGNED, S.IN_PROGRESS, S.RETURNED},
    ),
    "reply": _r(
        _("办结上报"),
        {S.IN_PROGRESS},
        S.REPLIED,
        {Role.HANDLER},
        UNIT,
        closes=(Stage.HANDLE, Stage.CONTACT),
        note_required=True,
        channel_follow_ups=TO_UPSTREAM,
        ui="reply",
        queue=True,
    ),
    # The resident gets the approved reply with the rating link.
    "approve": _r(
        _("审核通过"),
        {S.REPLIED},
        S.CALLBACK,
        {Role.DISPATCHER},
        DESK,
        opens=(Stage.CALLBACK,),
        follow_ups=(ON_EVENT,),
        ui="approve",
        queue=True,
    ),
    # The handling unit is told to redo it.
    "send_back": _r(
        _("驳回重办"),
        {S.REPLIED},
        S.IN_PROGRESS,
        {Role.DISPATCHER},
        DESK,
        opens=(Stage.HANDLE,),
        note_required=True,
        follow_ups=(ON_EVENT,),
        ui="send_back",
    ),
    # The four outcomes of a callback are one action ("callback"): the service picks the
    # kind from what the resident said (workorders.services.review.work_order_callback).
    # system=True: a resident rating on the tracking page (no account) is the callback.
    "callback_close": _r(
        _("回访办结"),
        {S.CALLBACK},
        S.CLOSED,
        {Role.OPERATOR},
        DESK,
        system=True,
        closes=(Stage.CALLBACK,),
        channel_follow_ups=TO_UPSTREAM,
        ui="callback",
        queue=True,
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
        follow_ups=(ON_EVENT,),  # the unit is told to redo it
        channel_follow_ups=TO_UPSTREAM,
        ui="callback",
    ),
    # The next try is scheduled on a later working day (dispatch's CallbackRetry).
    "callback_unreachable": _r(
        _("回访未接通"), {S.CALLBACK}, None, {Role.OPERATOR}, DESK, follow_ups=(ON_EVENT,), ui="callback"
    ),
    "close_unreachable": _r(
        _("联系不上办结"),
        {S.CALLBACK},
        S.CLOSED,
        {Role.OPERATOR},
        DESK,
        system=True,
        closes=(Stage.CALLBACK,),
        channel_follow_ups=TO_UPSTREAM,
        ui="callback",
    ),
    # The deadline scanner's marks (dispatch app). Audit-only: they record what the
    # machine saw and did without bumping the version, so a scan never turns a person's
    # concurrent action into a 409. The scan sends its own notices.
    "deadline_warn": _r(_("超时预警"), ACTIVE, None, {Role.SUPERVISOR}, DESK, system=True, audit_only=True),
    "deadline_urge": _r(_("系统督办"), ACTIVE, None, {Role.SUPERVISOR}, DESK, system=True, audit_only=True),
    "deadline_escalate": _r(_("升级督办"), ACTIVE, None, {Role.SUPERVISOR}, DESK, system=True, audit_only=True),
    # A caller rings about an order that already exists (the same problem, or chasing
    # it): the call is attached to that order instead of becoming a new one. Audit-only:
    # the caller's number and words go into the event, and a handler at work on the
    # order never meets a 409 because a resident called again. The operator console's
    # duplicates panel offers it (workorders.services.duplicates).
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
        channel_follow_ups=TO_UPSTREAM,
        api="community:transfer-emergency",
        page="transfer_emergency",
    ),
    # 回头看: a sampled second callback days after closing. Satisfied (or unreachable) is
    # recorded without changing the order; unsatisfied reopens it for the unit to redo,
    # and the unit is told as after any reopen. The revisit page records both.
    "revisit_confirm": _r(_("回头看"), {S.CLOSED}, None, {Role.OPERATOR}, DESK, audit_only=True),
    "revisit_reopen": _r(
        _("回头看不满意重办"),
        {S.CLOSED},
        S.IN_PROGRESS,
        {Role.OPERATOR},
        DESK,
        opens=(Stage.HANDLE,),
        note_required=True,
        follow_ups=(ON_EVENT,),
    ),
    # 现场核查: the handler records a site visit (photo, position) while handling; it does
    # not change status. Approval of the reply needs one for categories that require it.
    "site_check": _r(_("现场核查"), {S.IN_PROGRESS}, None, {Role.HANDLER}, UNIT, ui="site_check"),
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
        api="community:escalate",
        page="escalate",
    ),
    # --- end community ---
    # The order page reveals through its own button (web.views.orders), not an action form.
    "reveal_caller": _r(
        _("查看来电人号码"),
        set(Status),
        None,
        # Admins too: the admin's full view of an order is this same audited event.
        {Role.OPERATOR, Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN},
        DESK,
        audit_only=True,
        api="reveal_caller",
    ),
    # --- governance (考核, 派单异议): one block --------------------------------------
    # Exclusions and appeals are audit-only: they judge how an order counts in the
    # figures, never change the order, so a unit filing one never meets a 409 from
    # someone at work on the order. The services check that deciders sit at the center.
    # Governance's own pages record them.
    **{
        kind: _r(label, set(Status), None, roles, DESK, audit_only=True, note_required=True)
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
    # the center, where nobody holds the handler role; the center's desk sends it on
    # (governance's page) and the new unit is told like after any dispatch.
    "center_redispatch": _r(
        _("兜底改派"),
        {S.ASSIGNED},
        S.ASSIGNED,
        {Role.DISPATCHER, Role.SUPERVISOR},
        DESK,
        opens=(Stage.SIGN, Stage.CONTACT, Stage.HANDLE),
        note_required=True,
        follow_ups=(ON_EVENT,),
    ),
}


# The callbacks in which the resident was reached and answered (the satisfaction and
# resolution rates count these; dashboards, governance and community read this tuple).
REACHED_CALLBACKS = ("callback_close", "reopen")


def allowed_kinds(status: str) -> list[str]:
    """Event kinds the table allows from a status (regardless of who asks)."""
    return [kind for kind, rule in TRANSITIONS.items() if status in rule.sources and not rule.audit_only]


def actions(interface: str) -> dict[str, tuple[str, ...]]:
    """Action name → the kinds it records, on ``"api"`` or ``"page"`` (the rules' fields
    of that name), in table order."""
    out: dict[str, tuple[str, ...]] = {}
    for kind, rule in TRANSITIONS.items():
        name = getattr(rule, interface)
        if name is not None:
            out[name] = (*out.get(name, ()), kind)
    return out


def queues(scope: str) -> dict[str, tuple[str, ...]]:
    """Role → the statuses in which an order waits for that role's next step, for the
    rules of one scope (DESK: the desks' queues within what they see; UNIT: the unit
    holding the order), in status order."""
    found: dict[str, set[str]] = {}
    for rule in TRANSITIONS.values():
        if rule.scope == scope:
            for role in rule.roles:
                found.setdefault(role, set()).update(rule.queue)
    order = list(Status.values)
    return {role: tuple(sorted(statuses, key=order.index)) for role, statuses in found.items() if statuses}
