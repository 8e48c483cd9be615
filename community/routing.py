"""Community first (Jinlai's way): a QR-poster submission goes straight to the community
it was made in, as an SMS on the community's duty phone, and the community's handler
sends upward (上报街道/转网格中心) what is beyond the community.

Both moves go through ``transition()`` (community_dispatch, escalate); the messages are
notification rows written in the same transaction (dispatch.notify), so a message exists
exactly when its move does."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.models import ChannelRouting, CommunityContact, ContactRole, RoutingMode
from dispatch.notify import Recipient, center_members, notifications_add, unit_handlers
from grids.models import OrgUnit, UnitKind
from workorders.choices import Status
from workorders.errors import InvalidInput, InvalidTransition
from workorders.models import Event, WorkOrder
from workorders.workflow import Step, transition

ROUTE_TASK = "community.channel_route"

# Where a handler may send an order up to, by the kind of the unit above.
ESCALATION_TARGETS = {
    "street": (UnitKind.STREET, gettext_lazy("上报街道")),
    "center": (UnitKind.CENTER, gettext_lazy("转网格中心")),
}


def community_duty_phone(community: OrgUnit) -> str:
    """The community's duty phone: the unit's own contact phone, else the 居委会 line of
    its 便民联系卡 (the number residents are told to call)."""
    if community.contact_phone:
        return community.contact_phone
    contact = (
        CommunityContact.objects.filter(community=community, role=ContactRole.COMMITTEE)
        .order_by("position", "pk")
        .first()
    )
    return contact.phone if contact else ""


def _last_event(order: WorkOrder, kind: str) -> Event:
    return Event.objects.filter(order=order, kind=kind).order_by("-seq").first()


def community_dispatch(
    *, order: WorkOrder | int, community: OrgUnit, reason: dict, now: datetime | None = None
) -> WorkOrder:
    """Send a submitted order straight to ``community`` (the machine acts; ``reason`` is
    kept in the event), and text the community's duty phone and its handlers' own mobiles
    in the same transaction. Raises the workflow's errors (an operator got there first)."""
    if community.kind != UnitKind.COMMUNITY or not community.is_active:
        raise InvalidInput({"community": _("只能直派到启用中的社区。")})

    def change(o: WorkOrder, m, at) -> Step:
        o.lead_unit = o.current_unit = community
        return Step(payload={"unit": community.pk, "routing": {"reasons": [reason]}})

    with transaction.atomic():
        routed = transition(
            order=order, kind="community_dispatch", actor=None, change=change, note=_("直派社区"), now=now
        )
        event = _last_event(routed, "community_dispatch")
        # The duty phone is a number, not a person: it rides as an addressee without an
        # account (user_id None), beside the handlers who have a mobile of their own.
        duty = community_duty_phone(community)
        recipients = [Recipient(None, community, duty)] if duty else []
        recipients += [r for r in unit_handlers(community) if r.mobile and r.mobile != duty]
        notifications_add(
            recipients=recipients,
            text=_("【12345】%(c)s收到市民扫码诉求：工单%(n)s「%(t)s」，请签收办理；超出社区能力请上报。")
            % {"c": community.name, "n": routed.number, "t": routed.title},
            key=f"ev{event.pk}",
            order=routed,
            event=event,
            now=now,
        )
    return routed


def channel_route(*, order_id: int, now: datetime | None = None) -> WorkOrder | None:
    """The submit follow-up of the channels an admin may route community first: when
    the order's channel is so routed and the order lies in an active community, dispatch
    it there; otherwise leave it to the center's operators. Safe to run twice: only a
    submitted order moves, and an operator who accepted it first wins."""
    order = WorkOrder.objects.select_related("community").filter(pk=order_id).first()
    if order is None or order.status != Status.SUBMITTED or order.community_id is None:
        return None
    rule = ChannelRouting.objects.filter(channel=order.channel, mode=RoutingMode.COMMUNITY).first()
    if rule is None or not order.community.is_active:
        return None
    reason = {"code": "channel_routing", "channel": order.channel, "rule": rule.pk}
    try:
        return community_dispatch(order=order.pk, community=order.community, reason=reason, now=now)
    except InvalidTransition:
        return None  # accepted, rejected or merged meanwhile


def escalation_target(order: WorkOrder, to: str) -> OrgUnit:
    """The unit above the order's current unit that ``to`` names (InvalidInput if none)."""
    if to not in ESCALATION_TARGETS:
        raise InvalidInput(
            {"to": _("「%(v)s」不是可选的上报对象，可选：%(o)s。") % {"v": to, "o": ", ".join(ESCALATION_TARGETS)}}
        )
    kind, label = ESCALATION_TARGETS[to]
    here = order.current_unit
    above = [] if here is None else list(OrgUnit.objects.filter(pk__in=here.ancestor_ids[:-1], kind=kind))
    target = next((u for u in above if u.is_active), None)
    if target is None:
        raise InvalidInput({"to": _("本单位之上没有可以「%(a)s」的单位。") % {"a": label}})
    return target


def order_escalate(
    *,
    order: WorkOrder | int,
    actor: AbstractBaseUser,
    to: str,
    note: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """上报: the handler of the unit holding the order sends it to the street above it or
    to the center (the grid management center), with a reason. The target becomes lead
    and current unit and signs for it afresh; its handlers (the center's dispatchers) are
    told in the same transaction. Raises InvalidInput for an unknown or missing target."""
    pk = order.pk if isinstance(order, WorkOrder) else order

    def change(o: WorkOrder, m, at) -> Step:
        target = escalation_target(o, to)
        came_from = o.current_unit_id
        o.lead_unit = o.current_unit = target
        return Step(payload={"unit": target.pk, "to": to, "from_unit": came_from})

    with transaction.atomic():
        moved = transition(
            order=pk, kind="escalate", actor=actor, change=change, note=note, expected_version=expected_version, now=now
        )
        event = _last_event(moved, "escalate")
        target = moved.current_unit
        told = center_members("dispatcher") if target.kind == UnitKind.CENTER else unit_handlers(target)
        # by_follow_up: this runs in a web request, which sends no broker message.
        notifications_add(
            recipients=told,
            text=_("【12345上报】工单%(n)s「%(t)s」由下级单位上报，请签收办理。")
            % {"n": moved.number, "t": moved.title},
            key=f"ev{event.pk}",
            order=moved,
            event=event,
            now=now,
            by_follow_up=True,
        )
    return moved
