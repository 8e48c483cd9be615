"""What happens after a person's action: who is told, returns (退单) that bounce too
often, callback retries. Run by the ``dispatch.on_event`` task, queued by the workflow
after commit; every step is idempotent (keyed on the event), so a redelivered message
changes nothing."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from dispatch.alerts import alert_raise
from dispatch.models import CallbackRetry, Reason, RouteReason
from dispatch.notify import Recipient, center_members, notifications_add, order_caller, unit_handlers
from dispatch.services import dispatch_queue_done, dispatch_queue_put, route_decide
from grids.models import OrgUnit, UnitKind
from workorders.choices import ReturnReason, Status
from workorders.errors import WorkflowError
from workorders.limits import WorkCalendar, next_working_day
from workorders.models import Event, WorkOrder
from workorders.services import work_order_reassign

logger = logging.getLogger(__name__)


def _units(ids) -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(pk__in=[i for i in ids if i]))


def _tell(event: Event, recipients: list[Recipient], text: str) -> None:
    # Follow-ups already run in a worker task, so they send at once (send_now) instead of
    # queueing one more task per message; failures are retried by the send task/sweeper.
    notifications_add(
        recipients=recipients, text=text, key=f"ev{event.pk}", order=event.order, event=event, send_now=True
    )


def _order_text(order: WorkOrder) -> str:
    return _("工单%(n)s「%(t)s」") % {"n": order.number, "t": order.title}


def _on_assign(event: Event, order: WorkOrder) -> None:
    dispatch_queue_done(order_id=order.pk)
    fell_back = event.payload.get("limit_fallback")
    if fell_back and order.category_id:
        # The timer still runs (on the default limit); the admin should set the real one.
        alert_raise(
            key=f"category-limits-{order.category_id}",
            message=_("分类「%(c)s」缺少时限（%(s)s），已按默认时限计时；请在管理后台补充。")
            % {"c": order.category, "s": "、".join(fell_back)},
        )
    unit_id = event.payload.get("unit")
    unit = order.current_unit if order.current_unit_id == unit_id else OrgUnit.objects.filter(pk=unit_id).first()
    due = event.payload.get("opened", {}).get("sign")  # the transition records the timers it opened
    shown = timezone.localtime(datetime.fromisoformat(due)).strftime("%m-%d %H:%M") if due else ""
    limit = _("，请于 %(d)s 前签收") % {"d": shown} if due else ""
    _tell(event, unit_handlers(unit), _("【12345】新派%(o)s%(l)s。") % {"o": _order_text(order), "l": limit})


def _on_return(event: Event, order: WorkOrder) -> None:
    """Too many bounces go to the center's lead (兜底); otherwise the dispatchers get it
    back with the reason and suggestions that leave out the unit that returned it."""
    if order.status != Status.RETURNED:
        return  # already re-dispatched by someone
    reason = event.payload.get("reason", ReturnReason.OTHER)
    label = ReturnReason(reason).label if reason in ReturnReason.values else reason
    if order.return_count > settings.HOTLINE_MAX_RETURNS:
        center = OrgUnit.objects.filter(kind=UnitKind.CENTER, is_active=True).order_by("pk").first()
        if center is not None:
            try:
                work_order_reassign(
                    order=order,
                    actor=None,
                    unit=center,
                    note=_("退单 %(n)s 次，超过上限 %(m)s 次，由中心兜底办理。")
                    % {"n": order.return_count, "m": settings.HOTLINE_MAX_RETURNS},
                )
            except WorkflowError:
                logger.info("Order %s moved before the fallback to the center", order.number)
                return
            _tell(
                event,
                center_members("supervisor") + center_members("dispatcher"),
                _("【12345兜底】%(o)s已退单 %(n)s 次，已转中心兜底办理。")
                % {"o": _order_text(order), "n": order.return_count},
            )
            dispatch_queue_done(order_id=order.pk)
            return
    came_from = event.payload.get("from_unit")
    decision = route_decide(order, exclude={came_from} if came_from else set())
    reasons: list[Reason] = [
        {"code": RouteReason.RETURNED.value, "reason": reason, "from_unit": came_from, "count": order.return_count}
    ]
    dispatch_queue_put(order=order, reasons=reasons + decision.reasons, suggestions=decision.suggestions)
    _tell(
        event,
        center_members("dispatcher"),
        _("【12345退单】%(o)s被退回（%(r)s），请重新派单或驳回退单。") % {"o": _order_text(order), "r": label},
    )


def _on_cohandlers(event: Event, order: WorkOrder) -> None:
    for unit in _units(event.payload.get("units_asked", [])):
        _tell(
            event,
            unit_handlers(unit),
            _("【12345吹哨】%(o)s请贵单位协办，请报到并反馈意见。") % {"o": _order_text(order)},
        )


def _on_cohandler_report(event: Event, order: WorkOrder) -> None:
    _tell(
        event,
        unit_handlers(order.current_unit),
        _("【12345】%(u)s已反馈%(o)s的协办意见。")
        % {"u": event.actor_unit.name if event.actor_unit else "", "o": _order_text(order)},
    )


def _on_extension_request(event: Event, order: WorkOrder) -> None:
    _tell(
        event,
        center_members("dispatcher"),
        _("【12345延期申请】%(o)s申请延期：%(r)s") % {"o": _order_text(order), "r": event.note[:100]},
    )


def _on_extension_decision(event: Event, order: WorkOrder) -> None:
    approved = event.kind == "approve_extension"
    text = (
        _("【12345】%(o)s的延期申请已批准，新时限 %(d)s。")
        if approved
        else _("【12345】%(o)s的延期申请未获批准：%(r)s")
    )
    due = event.payload.get("proposed_due", "")
    shown = timezone.localtime(datetime.fromisoformat(due)).strftime("%m-%d %H:%M") if due else ""
    _tell(event, unit_handlers(order.current_unit), text % {"o": _order_text(order), "d": shown, "r": event.note})


def _on_urge(event: Event, order: WorkOrder) -> None:
    """A supervisor's 督办 reaches the handlers of the unit holding the order, with the
    instruction as written (redacted like every SMS) and how many times it was urged."""
    if event.actor_id is None:
        return  # the machine's urges (deadline scan) are announced by the scan
    count = order.events.filter(kind__in=("urge", "deadline_urge"), seq__lte=event.seq).count()
    _tell(
        event,
        unit_handlers(order.current_unit),
        _("【12345督办】%(o)s（第 %(n)d 次督办）：%(r)s")
        % {"o": _order_text(order), "n": count, "r": event.note[:200] or _("请加快办理。")},
    )


def next_working_morning(after: datetime, calendar: WorkCalendar | None = None) -> datetime:
    """Opening time of the first working day after ``after``'s day."""
    day = next_working_day(after, calendar)
    if day is None:
        return after + timedelta(days=1)
    return datetime.combine(day, settings.HOTLINE_WORKDAY_START, tzinfo=timezone.get_current_timezone())


def _on_callback_unreachable(event: Event, order: WorkOrder) -> None:
    """Schedule the next attempt on a later working day (not the same day again)."""
    attempt = int(event.payload.get("attempt", order.callback_attempts)) + 1
    try:
        with transaction.atomic():
            CallbackRetry.objects.create(
                order=order, attempt=attempt, due_at=next_working_morning(event.created_at), created_at=timezone.now()
            )
    except IntegrityError:
        pass  # scheduled by an earlier delivery of this event


# --- the resident and the unit told what changed ---------------------------------


def track_link(order: WorkOrder) -> str:
    """The public tracking page with number and code filled in, when the site's public
    address is configured (HOTLINE_PUBLIC_BASE_URL); an SMS cannot carry a relative link."""
    base = settings.HOTLINE_PUBLIC_BASE_URL
    if not base:
        return ""
    return f"{base.rstrip('/')}/track/?" + urlencode({"number": order.number, "code": order.tracking_code})


def _tell_caller(event: Event, order: WorkOrder, text: str) -> None:
    link = track_link(order)
    _tell(event, order_caller(order), text + (_("查询进度：%(l)s") % {"l": link} if link else ""))


def _on_receipt(event: Event, order: WorkOrder) -> None:
    _tell_caller(
        event,
        order,
        _("【12345】您反映的问题已收到，工单号%(n)s，查询码%(c)s，凭号码和查询码可查询办理进度。")
        % {"n": order.number, "c": order.tracking_code},
    )


def _on_approve(event: Event, order: WorkOrder) -> None:
    reply = order.reply.strip().replace("\n", " ")
    reply = reply[:60] + ("…" if len(reply) > 60 else "")
    _tell_caller(
        event,
        order,
        _("【12345】您反映的问题（工单号%(n)s）已办理：%(r)s。请评价办理结果，我们也会电话回访。")
        % {"n": order.number, "r": reply},
    )


def _on_redo(event: Event, order: WorkOrder) -> None:
    text = (
        _("【12345驳回】%(o)s办理结果未通过审核，请重新办理：%(r)s")
        if event.kind == "send_back"
        else _("【12345重办】%(o)s市民表示不满意，已重办，请重新办理：%(r)s")
    )
    _tell(event, unit_handlers(order.current_unit), text % {"o": _order_text(order), "r": event.note[:100]})


# What ``dispatch.on_event`` does for each kind whose rule lists ON_EVENT among its
# follow_ups (workorders/transitions.py); hotline/tests/test_one_table.py keeps the two equal.
HANDLERS = {
    "log_call": _on_receipt,
    "submit": _on_receipt,
    "approve": _on_approve,
    "send_back": _on_redo,
    "reopen": _on_redo,
    "revisit_reopen": _on_redo,  # 回头看 found the resident unsatisfied: the unit redoes it
    "assign": _on_assign,
    "reassign": _on_assign,
    "center_redispatch": _on_assign,  # governance: the center sends a 兜底 order on
    "sub_dispatch": _on_assign,
    "return": _on_return,
    "add_cohandler": _on_cohandlers,
    "cohandler_report": _on_cohandler_report,
    "request_extension": _on_extension_request,
    "approve_extension": _on_extension_decision,
    "deny_extension": _on_extension_decision,
    "callback_unreachable": _on_callback_unreachable,
    "urge": _on_urge,
}


def event_follow_up(*, event_id: int) -> None:
    event = Event.objects.select_related("order__current_unit", "actor_unit").filter(pk=event_id).first()
    if event is None:
        logger.warning("Follow-up for unknown event %s", event_id)
        return
    handler = HANDLERS.get(event.kind)
    if handler is not None:
        handler(event, event.order)


def callback_retries_remind(*, now: datetime | None = None, limit: int = 500) -> int:
    """Remind the operators of callbacks due again today, once each."""
    now = now or timezone.now()
    reminded = 0
    with transaction.atomic():
        due = list(
            CallbackRetry.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(reminded_at__isnull=True, due_at__lte=now)
            .select_related("order")[:limit]
        )
        operators = center_members("operator") if due else []
        for retry in due:
            CallbackRetry.objects.filter(pk=retry.pk, reminded_at__isnull=True).update(reminded_at=now)
            if retry.order.status != Status.CALLBACK:
                continue
            notifications_add(
                recipients=operators,
                text=_("【12345回访】%(o)s今天需第 %(n)s 次回访（上次未接通）。")
                % {"o": _order_text(retry.order), "n": retry.attempt},
                key=f"cbr{retry.pk}",
                order=retry.order,
                now=now,
            )
            reminded += 1
    return reminded
