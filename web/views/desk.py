"""Dispatcher desk (派单员): unrouted orders with the router's suggestion, returns,
extension requests, and replies to review against the closure standard."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from dispatch.models import DispatchQueueEntry, QueueState
from dispatch.services import RouteDecision, route_decide
from grids.models import OrgUnit, Role
from web.actions import ACTIONS
from web.helpers import role_required
from workorders.choices import ExtensionState, ReturnReason, Status
from workorders.selectors import work_orders_visible_to

ROWS = 25

PROBLEMS = {
    "no_category": _("未选择分类"),
    "department_missing": _("分类未指定主责部门"),
    "not_located": _("未能定位到街道"),
    "no_rule": _("没有适用的派单规则"),
    "conflicting_rules": _("派单规则相互冲突"),
    "returned_by_target": _("目标单位曾退回此单"),
    "rule_broken": _("派单规则有误"),
    "model_unsure": _("模型置信度低于自动派单阈值"),
    "model_disagrees": _("模型与派单规则不一致"),
}


def _model_categories(reasons) -> list[dict]:
    """The model's top categories the router recorded (name, confidence), for the desk."""
    for r in reasons or []:
        if isinstance(r, dict) and r.get("categories"):
            return [{"code": c[0], "name": c[1], "confidence": c[2]} for c in r["categories"]]
    return []


def _problems(reasons) -> str:
    """The router's reasons (a list of {"code": …} dicts) in words."""
    if isinstance(reasons, dict):  # older routers returned one dict
        reasons = [{"code": reasons.get("problem", "")}]
    words = [str(PROBLEMS[r.get("code")]) for r in reasons or [] if r.get("code") in PROBLEMS]
    return "；".join(dict.fromkeys(words))


def _rows(qs, keys: list[str]) -> list[dict]:
    rows = []
    for order in qs[:ROWS]:
        init = {"expected_version": order.version}
        forms = {k: ACTIONS[k].form(order=order, initial=dict(init), auto_id=f"o{order.pk}{k}_%s") for k in keys}
        rows.append({"order": order, "forms": forms})
    return rows


@role_required(Role.DISPATCHER)
def desk(request: HttpRequest) -> HttpResponse:
    base = work_orders_visible_to(request.user).select_related(
        "category__department", "street", "community", "lead_unit", "current_unit"
    )
    unrouted = _rows(base.filter(status=Status.ACCEPTED).order_by("created_at"), ["assign", "reclassify"])
    # What the router recorded when it left an order to the dispatchers (its reasons and
    # ranked suggestions at that moment); only an order it has not seen yet (just
    # accepted, or its message lost) is worked out now.
    entries = {
        e.order_id: e
        for e in DispatchQueueEntry.objects.filter(
            state=QueueState.OPEN, order_id__in=[row["order"].pk for row in unrouted]
        )
    }
    # The sweeper queues a never-routed order with the rule's unit first: name those
    # units in one query.
    swept = {
        e.order_id: e.suggestions[0]["unit"]
        for e in entries.values()
        if e.suggestions and any(r.get("code") == "not_routed" for r in e.reasons or [])
    }
    units = OrgUnit.objects.in_bulk(set(swept.values()))
    for row in unrouted:
        entry = entries.get(row["order"].pk)
        if entry is not None:
            decision = RouteDecision(None, entry.reasons or [], entry.suggestions or [])
            decision.unit = units.get(swept.get(entry.order_id))
        else:
            decision = route_decide(row["order"])
        row["suggestion"] = decision.unit
        row["suggestions"] = decision.suggestions
        row["problem"] = _problems(decision.reasons)
        row["model_categories"] = _model_categories(decision.reasons)
        first = decision.unit.pk if decision.unit is not None else None
        if first is None and row["suggestions"]:
            first = row["suggestions"][0]["unit"]
        if first is not None:
            row["forms"]["assign"].initial["unit"] = first
    returned = _rows(base.filter(status=Status.RETURNED).order_by("updated_at"), ["reassign"])
    for row in returned:
        event = row["order"].events.filter(kind="return").order_by("-seq").first()
        row["return_event"] = event
        reason = event.payload.get("reason") if event else None
        row["return_reason"] = ReturnReason(reason).label if reason in ReturnReason.values else ""
        if event is not None:
            row["forms"]["reassign"].initial["unit"] = event.payload.get("from_unit")
    extensions = _rows(
        base.filter(status=Status.IN_PROGRESS, extension_requests__state=ExtensionState.PENDING).order_by("due_at"),
        ["approve_extension", "deny_extension"],
    )
    for row in extensions:
        row["request"] = row["order"].extension_requests.filter(state=ExtensionState.PENDING).first()
    replies = _rows(base.filter(status=Status.REPLIED).order_by("replied_at"), ["approve", "send_back"])
    return render(
        request,
        "web/desk.html",
        {"unrouted": unrouted, "returned": returned, "extensions": extensions, "replies": replies},
    )
