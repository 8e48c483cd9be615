"""What a person is told after an action on a queue: exactly what happened and what
happens next, in words ("已驳回重办，退回区城管委"), and, when they lost a race, who acted
first, when, what the order is now and what they can do now."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from web.actions import label, page_kinds
from web.helpers import actions_for
from workorders.choices import DeadlineState, ExtensionState, Stage, Status
from workorders.models import WorkOrder
from workorders.selectors import work_order_last_change
from workorders.transitions import TRANSITIONS


def _when(at) -> str:
    return timezone.localtime(at).strftime("%m-%d %H:%M") if at else ""


def _unit(order: WorkOrder) -> str:
    return order.current_unit.name if order.current_unit_id else "—"


def _open_due(order: WorkOrder, stage: Stage):
    return order.deadlines.filter(stage=stage, state=DeadlineState.OPEN).values_list("due_at", flat=True).first()


def outcome_text(key: str, order: WorkOrder) -> str:
    """The sentence for a successful action ``key`` on ``order`` (as it is now)."""
    n = order.number
    if key in ("assign", "reassign", "overrule"):
        sign = _open_due(order, Stage.SIGN)
        text = _("%(n)s 已派至%(u)s") % {"n": n, "u": _unit(order)}
        return text + (_("，%(d)s 前签收") % {"d": _when(sign)} if sign else "")
    if key == "send_back":
        return _("%(n)s 已驳回重办，退回%(u)s，%(d)s 前办结") % {"n": n, "u": _unit(order), "d": _when(order.due_at)}
    if key == "approve":
        return _("%(n)s 审核通过，已转回访") % {"n": n}
    if key in ("approve_extension", "deny_extension"):
        handle = _open_due(order, Stage.HANDLE)
    if key == "approve_extension":
        return _("%(n)s 已批准延期，新时限 %(d)s，已通知%(u)s") % {"n": n, "d": _when(handle), "u": _unit(order)}
    if key == "deny_extension":
        return _("%(n)s 已驳回延期，仍须于 %(d)s 前办结，已通知%(u)s") % {
            "n": n,
            "d": _when(handle),
            "u": _unit(order),
        }
    if key == "reclassify":
        return _("%(n)s 已更正为「%(c)s」") % {"n": n, "c": order.category.name if order.category_id else "—"}
    if key == "callback":
        if order.status == Status.IN_PROGRESS:
            return _("%(n)s 市民不满意，已重办，退回%(u)s，%(d)s 前办结") % {
                "n": n,
                "u": _unit(order),
                "d": _when(order.due_at),
            }
        if order.status == Status.CLOSED:
            return _("%(n)s 已回访办结") % {"n": n}
        from dispatch.follow_ups import next_working_morning

        return _("%(n)s 未接通，已安排 %(d)s 再拨（第 %(k)d 次）") % {
            "n": n,
            "d": _when(next_working_morning(timezone.now())),
            "k": order.callback_attempts + 1,
        }
    return _("工单 %(n)s：已%(a)s。") % {"n": n, "a": label(key)}


def conflict_text(*, user: AbstractBaseUser, order: WorkOrder, in_queue: bool) -> dict:
    """Who changed the order since this person's page was drawn, when, what it is now,
    and what they can do now (``in_queue``: it is still in the queue they work)."""
    last = work_order_last_change(order)
    who = _("系统")
    if last is not None and last.actor_id:
        who = last.actor.get_full_name() or last.actor.get_username()
    if last is not None and last.actor_unit_id:
        who = f"{who}（{last.actor_unit.name}）"
    what = TRANSITIONS[last.kind].label if last is not None and last.kind in TRANSITIONS else "—"
    pending = order.extension_requests.filter(state=ExtensionState.PENDING).exists()
    now_can = [label(k) for k in page_kinds(actions_for(user, order))]
    if order.status == Status.IN_PROGRESS and not pending:
        now_can = [k for k in now_can if k not in (str(label("approve_extension")), str(label("deny_extension")))]
    return {
        "headline": _("此单已被他人处理：%(who)s 于 %(when)s %(what)s。")
        % {
            "who": who,
            "when": _when(last.created_at if last else None),
            "what": what,
        },
        "status": _("工单现为「%(s)s」，当前单位：%(u)s。") % {"s": order.get_status_display(), "u": _unit(order)},
        "next": (
            _("下方已按最新状态刷新，可重新操作：%(a)s。") % {"a": "、".join(now_can)}
            if in_queue and now_can
            else _("此单已离开本队列，您无需再处理；可打开工单查看，或继续下一件。")
        ),
    }
