"""What a resident sees without an account: progress by order number + tracking code,
and the rating after the reply. Nothing personal (theirs or anyone else's) is returned,
and a wrong code is indistinguishable from an unknown number."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workorders.choices import Resolution, Satisfaction, Status
from workorders.errors import InvalidInput
from workorders.models import WorkOrder
from workorders.privacy import redact_order_text

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
from workorders.services import work_order_callback

# Plain words for each status, as a resident would say it.
PLAIN_STATUS: dict[str, StrOrPromise] = {
    Status.SUBMITTED: gettext_lazy("您的诉求已收到，正在等待受理。"),
    Status.ACCEPTED: gettext_lazy("您的诉求已受理，正在分派给负责单位。"),
    Status.ASSIGNED: gettext_lazy("已派给负责单位，等待签收。"),
    Status.RETURNED: gettext_lazy("负责单位正在重新确定，请耐心等待。"),
    Status.IN_PROGRESS: gettext_lazy("负责单位正在办理。"),
    Status.REPLIED: gettext_lazy("负责单位已答复，正在审核办理结果。"),
    Status.CALLBACK: gettext_lazy("已办理完毕，请您对办理结果进行评价。"),
    Status.CLOSED: gettext_lazy("已办结。"),
    Status.REJECTED: gettext_lazy("您的诉求不属于受理范围，未予受理。"),
    Status.MERGED: gettext_lazy("您的诉求与其他市民反映的同一问题已合并办理。"),
}

# Events a resident sees on the timeline, in plain words; others (internal routing,
# urging, caller look-ups) are not shown.
PUBLIC_STEPS = {
    "submit": gettext_lazy("提交诉求"),
    "log_call": gettext_lazy("热线受理"),
    "accept": gettext_lazy("受理"),
    "reject": gettext_lazy("不予受理"),
    "merge": gettext_lazy("合并办理"),
    "answer_now": gettext_lazy("当场答复办结"),
    "assign": gettext_lazy("派单至负责单位"),
    "reassign": gettext_lazy("重新派单"),
    "sign": gettext_lazy("负责单位签收"),
    "reply": gettext_lazy("负责单位答复"),
    "approve": gettext_lazy("办理结果审核通过"),
    "send_back": gettext_lazy("要求负责单位重新办理"),
    "reopen": gettext_lazy("重新办理"),
    "callback_close": gettext_lazy("办结"),
    "close_unreachable": gettext_lazy("办结"),
}


# A new round of handling: after one of these, the next sign-for is news again.
NEW_ROUND = {"assign", "reassign", "reopen", "send_back"}


def public_steps(events) -> list[PublicStep]:
    """The timeline a resident reads: each event in plain words, but said once. A street
    signs for an order and hands it down to its community and grid, who sign too; the
    resident learns that the unit took it on, not three identical 「负责单位签收」 lines."""
    steps: list[PublicStep] = []
    signed = False
    for e in events:
        if e.kind in NEW_ROUND:
            signed = False
        if e.kind not in PUBLIC_STEPS or (e.kind == "sign" and signed):
            continue
        signed = signed or e.kind == "sign"
        text = str(PUBLIC_STEPS[e.kind])
        if steps and steps[-1].text == text:
            continue
        steps.append(PublicStep(at=e.created_at, text=text))
    return steps


@dataclass
class PublicStep:
    at: datetime
    text: str


@dataclass
class PublicView:
    number: str
    status: str
    status_label: str
    progress: str
    title: str
    category: str
    created_at: datetime
    unit: str
    reply: str
    can_rate: bool
    steps: list[PublicStep] = field(default_factory=list)
    rating: str = ""  # the callback's result, once the order is closed: 「已解决 · 满意」


def _find(number: str, code: str) -> WorkOrder | None:
    order = WorkOrder.objects.select_related("category", "lead_unit").filter(number=(number or "").strip()).first()
    given = (code or "").strip().upper().encode()
    # Compare even when the number is unknown, so timing does not tell numbers apart.
    expected = (order.tracking_code if order else "--------").encode()
    if not hmac.compare_digest(given, expected) or order is None:
        return None
    return order


def public_track(*, number: str, code: str) -> PublicView | None:
    order = _find(number, code)
    if order is None:
        return None
    shows_reply = order.status in {Status.CALLBACK, Status.CLOSED}
    steps = public_steps(order.events.only("kind", "created_at").order_by("seq"))
    rating = ""
    if order.status == Status.CLOSED and order.callback_resolution and order.callback_satisfaction:
        rating = f"{Resolution(order.callback_resolution).label} · {Satisfaction(order.callback_satisfaction).label}"
    return PublicView(
        number=order.number,
        status=order.status,
        status_label=str(Status(order.status).label),
        progress=str(PLAIN_STATUS[order.status]),
        # Whoever holds the number and code sees this page, so the texts go through the
        # same redaction as Open311 (the title is the description's first line).
        title=redact_order_text(order, order.title),
        category=order.category.name if order.category is not None else "",
        created_at=order.created_at,
        unit=order.lead_unit.name if order.lead_unit is not None else "",
        reply=redact_order_text(order, order.reply) if shows_reply else "",
        can_rate=order.status == Status.CALLBACK,
        steps=steps,
        rating=rating,
    )


def public_rate(*, number: str, code: str, resolution: str, satisfaction: str, comment: str = "") -> WorkOrder:
    """The resident's own rating is the callback: satisfied/basically satisfied closes
    the order, unsatisfied reopens it. Only possible while the order awaits callback."""
    order = _find(number, code)
    if order is None:
        raise InvalidInput({"number": _("工单号或查询码不正确。")})
    if order.status != Status.CALLBACK:
        raise InvalidInput({"number": _("该工单当前不能评价：%(p)s") % {"p": PLAIN_STATUS[order.status]}})
    if len(comment) > 500:
        raise InvalidInput({"comment": _("不能超过 500 个字符。")})
    return work_order_callback(
        order=order,
        actor=None,
        contacted=True,
        resolution=resolution,
        satisfaction=satisfaction,
        note=_("市民自评：%(c)s") % {"c": comment.strip()} if comment.strip() else _("市民自评"),
    )
