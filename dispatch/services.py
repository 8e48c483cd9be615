"""Automatic routing: category → routing rule → target unit, then assign through the
workflow. Where no rule is confident the order waits in the dispatchers' queue with the
reasons and ranked suggestions."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.alerts import alert_raise
from dispatch.models import DispatchQueueEntry, QueueState, Reason, RouteReason, RoutingRule, RuleTarget
from grids.locate import Location, locate
from grids.models import OrgUnit, UnitKind
from grids.selectors import units_serving
from hotline.process_cache import ProcessCache
from triage.models import VerdictCode
from triage.services import Suggestions, triage_check_route, triage_suggest
from workorders.choices import Routing, Status
from workorders.errors import InvalidInput, InvalidTransition
from workorders.models import FollowUp, WorkOrder
from workorders.services import work_order_assign

logger = logging.getLogger(__name__)

MAX_SUGGESTIONS = 3  # the desk shows the top three
R = RouteReason  # the codes of the reasons below


@dataclass
class Candidate:
    """A rule (or the category's own default) that applies to the order."""

    rule_id: int | None  # None: the category's default routing
    specificity: int  # depth of the rule's area; -1 for the category default
    priority: int
    target: str
    unit: OrgUnit | None  # resolved target; None when territorial and not located
    detail: Reason = field(default_factory=lambda: Reason())  # recorded with the routing reason


@dataclass
class RouteDecision:
    unit: OrgUnit | None
    reasons: list[Reason] = field(default_factory=list)
    suggestions: list[dict] = field(default_factory=list)
    location: Location | None = None

    @property
    def confident(self) -> bool:
        return self.unit is not None


def _where(order: WorkOrder) -> Location | None:
    if order.street_id:
        return Location(street=order.street, community=order.community, grid=order.grid, method="intake")
    # Not located at intake: try again, an alias may have been added since.
    return locate(lat=order.lat, lng=order.lng, address=order.address)


def _area_matches(rule: RoutingRule, where: Location | None) -> bool:
    if rule.area_id is None:
        return True
    if where is None:
        return False
    spot = where.grid or where.community or where.street
    return spot is not None and rule.area is not None and spot.path.startswith(rule.area.path)


def _load_rules() -> dict[int, list[RoutingRule]]:
    by_category: dict[int, list[RoutingRule]] = {}
    for rule in RoutingRule.objects.filter(is_active=True).select_related("department", "area"):
        by_category.setdefault(rule.category_id, []).append(rule)
    return by_category


# Every routing reads the rules of its category; they change rarely, so each worker
# process keeps them (with the units they name, whose state a rule's problem() checks)
# and re-reads them every few seconds or at once after an edit in the same process.
_rules = ProcessCache("dispatch-routing-rules", _load_rules, senders=[RoutingRule, OrgUnit])


def rules_for(category_id: int) -> list[RoutingRule]:
    """Active routing rules of a category (cached per process; read-only)."""
    return _rules.get().get(category_id, [])


def _candidates(order: WorkOrder, where: Location | None, reasons: list[Reason]) -> list[Candidate]:
    street = where.street if where else None
    found: list[Candidate] = []
    if order.category_id is None:
        return found  # route_decide stops before (NO_CATEGORY)
    for rule in rules_for(order.category_id):
        problem = rule.problem()
        if problem:
            reasons.append({"code": R.RULE_BROKEN.value, "rule": rule.pk, "detail": problem})
            alert_raise(
                key=f"routing-rule-{rule.pk}",
                message=_("派单规则 #%(id)s（%(cat)s）不可用：%(p)s。")
                % {"id": rule.pk, "cat": order.category, "p": problem},
            )
            continue
        if not _area_matches(rule, where):
            continue
        depth = rule.area.path.count("/") if rule.area is not None else 0
        if rule.target == RuleTarget.SERVING_UNIT:
            found.extend(_serving_candidates(rule, depth, where, reasons))
            continue
        unit = rule.department if rule.target == Routing.DEPARTMENT else street
        found.append(Candidate(rule.pk, depth, rule.priority, rule.target, unit))
    category = order.category if not found else None  # read only when no rule applies
    if category is not None:
        if category.routing == Routing.DEPARTMENT:
            dept = category.department
            if dept is None or not dept.is_active:
                reasons.append({"code": R.DEPARTMENT_MISSING.value, "category": category.code})
                alert_raise(
                    key=f"category-department-{category.pk}",
                    message=_("分类「%(c)s」的主责部门缺失或已停用，工单转人工派单。") % {"c": category},
                )
            else:
                found.append(Candidate(None, -1, 1000, Routing.DEPARTMENT, dept))
        else:
            found.append(Candidate(None, -1, 1000, Routing.TERRITORIAL, street))
    return found


def _serving_candidates(
    rule: RoutingRule, depth: int, where: Location | None, reasons: list[Reason]
) -> list[Candidate]:
    """The property company / utility serving the located 小区 for the rule's service;
    where nobody serves it (a 小区 without 物业, an unlocated order) the street, as a
    territorial rule would (属地兜底), with the reason saying so. Two units serving the
    same place come back as two candidates, which the router treats as a conflict."""
    units = []
    if where is not None and where.community is not None:
        units = units_serving(
            service=rule.service,
            community_id=where.community.pk,
            grid_id=where.grid.pk if where.grid else None,
        )
    if not units:
        street = where.street if where else None
        return [
            Candidate(
                rule.pk, depth, rule.priority, Routing.TERRITORIAL, street, {"service": rule.service, "fallback": True}
            )
        ]
    if len(units) > 1:
        shared: Reason = {
            "code": RouteReason.SERVICE_AREA_SHARED,
            "service": rule.service,
            "units": [u.pk for u in units],
        }
        reasons.append(shared)
    return [Candidate(rule.pk, depth, rule.priority, rule.target, u, {"service": rule.service}) for u in units]


def _fits(order: WorkOrder, unit: OrgUnit) -> bool:
    """Whether a unit from history can be the lead for this order's kind of category:
    a territorial category goes to a street (or community, or the 物业 serving it), a functional one to a
    department. Without the check every unlocated order got the department most
    orders went to (区城市管理委员会) first, whatever it was about."""
    category = order.category
    if category is None:
        return True
    if category.routing == Routing.TERRITORIAL:
        return unit.kind in (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.PROPERTY)
    return unit.kind == UnitKind.DEPARTMENT


def _suggest(
    order: WorkOrder, candidates: list[Candidate], exclude: AbstractSet[int], triage: Suggestions | None = None
) -> list[dict]:
    """The top places a dispatcher may want: what the rules point at, what the model
    predicts (with its confidence), then where this caller's earlier orders of the same
    kind went."""
    scores: dict[int, tuple[float, str, str]] = {}

    def add(unit_id: int | None, name: str, score: float, why: str) -> None:
        if unit_id is None or unit_id in exclude:
            return
        if unit_id not in scores or scores[unit_id][0] < score:
            scores[unit_id] = (score, why, name)

    for c in sorted(candidates, key=lambda c: (-c.specificity, c.priority)):
        if c.unit is not None and c.unit.is_active:
            add(c.unit.pk, c.unit.name, 0.9 if c.rule_id else 0.6, _("派单规则") if c.rule_id else _("分类默认"))
    if triage is None and order.category_id is None and (order.description or order.title):
        triage = triage_suggest(
            text=order.description, title=order.title, channel=order.channel, street_id=order.street_id
        )
    # The keyword rules' units only repeat the category's own routing once a category is
    # chosen; they help when none is.
    if triage is not None and (triage.method == "model" or order.category_id is None):
        why = _("模型建议") if triage.method == "model" else _("关键词建议")
        for r in triage.units:
            add(r.id, r.name, round(r.confidence, 2), why)
    if order.caller_phone:
        # Only the caller's own history: a shared placeholder address (具体位置不详) made
        # every unlocated order look like all the others.
        history = WorkOrder.objects.exclude(pk=order.pk).exclude(lead_unit=None)
        same = Counter(history.filter(caller_phone=order.caller_phone).values_list("lead_unit_id", flat=True)[:50])
        units = OrgUnit.objects.in_bulk(list(same))
        total = sum(same.values())
        for unit_id, n in same.most_common(MAX_SUGGESTIONS):
            unit = units.get(unit_id)
            if unit is not None and unit.is_active and _fits(order, unit):
                add(unit_id, unit.name, round(0.5 * n / total, 2), _("同一来电人的历史工单"))
    ranked = sorted(scores.items(), key=lambda kv: -kv[1][0])[:MAX_SUGGESTIONS]
    return [{"unit": uid, "name": name, "score": score, "why": str(why)} for uid, (score, why, name) in ranked]


def route_decide(order: WorkOrder, *, exclude: AbstractSet[int] | None = None) -> RouteDecision:
    """Pick the target unit, or explain why not. Pure: changes nothing but alerts.

    The rules name a unit; the order is dispatched with no person only when the
    dispatch model agrees (same category and unit on top, each at or above the
    category's threshold), or while there is no model yet (cold start)."""
    exclude = exclude or set()
    reasons: list[Reason] = []
    if order.category_id is None:
        return RouteDecision(None, [{"code": R.NO_CATEGORY.value}], _suggest(order, [], exclude))
    where = _where(order)
    if where is None:
        reasons.append({"code": R.NOT_LOCATED.value})
    candidates = _candidates(order, where, reasons)

    def undecided(*more: Reason) -> RouteDecision:
        # Suggestions (history look-ups, the model) are only worked out when a person must
        # decide; each decision ends in at most one call, so nothing is cached across calls.
        verdict = triage_check_route(order=order, unit_id=None)
        if verdict.reason["code"] != VerdictCode.COLD_START:
            reasons.append({**verdict.reason, "code": R.MODEL_SUGGESTS.value})
        return RouteDecision(
            None, reasons + list(more), _suggest(order, candidates, exclude, verdict.suggestions), where
        )

    if not candidates:
        return undecided() if reasons else undecided({"code": R.NO_RULE.value})
    top = min((-c.specificity, c.priority) for c in candidates)
    best = [c for c in candidates if (-c.specificity, c.priority) == top]
    targets = {c.unit.pk if c.unit else None for c in best}
    if len(targets) > 1:
        return undecided({"code": R.CONFLICTING_RULES.value, "rules": [c.rule_id for c in best]})
    chosen = best[0]
    if chosen.unit is None:
        return undecided() if {"code": R.NOT_LOCATED.value} in reasons else undecided({"code": R.NOT_LOCATED.value})
    if chosen.unit.pk in exclude:
        return undecided({"code": R.RETURNED_BY_TARGET.value, "unit": chosen.unit.pk})
    rule_reason: Reason = {
        "code": R.RULE.value if chosen.rule_id else R.CATEGORY_DEFAULT.value,
        "rule": chosen.rule_id,
        "target": chosen.target,
        **chosen.detail,
        **({"located_by": where.method} if where else {}),
    }
    verdict = triage_check_route(order=order, unit_id=chosen.unit.pk)
    reasons.append(rule_reason)
    reasons.append(verdict.reason)
    if not verdict.agrees:
        return RouteDecision(None, reasons, _suggest(order, candidates, exclude, verdict.suggestions), where)
    return RouteDecision(chosen.unit, reasons, [], where)


def dispatch_queue_put(
    *, order: WorkOrder, reasons: list[Reason], suggestions: list[dict], now: datetime | None = None
) -> DispatchQueueEntry:
    """Put (or refresh) the order's open entry in the dispatchers' queue."""
    now = now or timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                entry = DispatchQueueEntry.objects.select_for_update().filter(
                    order=order, state=QueueState.OPEN
                ).first() or DispatchQueueEntry(order=order, created_at=now)
                entry.reasons, entry.suggestions = reasons, suggestions
                entry.save()
            break
        except IntegrityError:  # a second router created the open entry first: update that one
            continue
    logger.info("Order %s left for dispatchers: %s", order.number, reasons)
    return entry


def dispatch_queue_done(*, order_id: int, now: datetime | None = None) -> int:
    return DispatchQueueEntry.objects.filter(order_id=order_id, state=QueueState.OPEN).update(
        state=QueueState.DONE, done_at=now or timezone.now()
    )


def route_order(*, order_id: int, now: datetime | None = None) -> WorkOrder | None:
    """Assign an accepted order where the rules say, or queue it for the dispatchers with
    reasons and suggestions. Safe to run twice: only an order still waiting moves, and a
    dispatcher who got there first wins (the workflow refuses the second assign)."""
    order = WorkOrder.objects.select_related("category__department", "street", "community", "grid").get(pk=order_id)
    if order.status != Status.ACCEPTED:
        return None
    decision = route_decide(order)
    if decision.unit is not None:
        try:
            assigned = work_order_assign(
                order=order,
                actor=None,
                unit=decision.unit,
                reasons={"reasons": decision.reasons},
                note=_("自动派单"),
                now=now,
            )
        except InvalidTransition:
            return None  # someone assigned it meanwhile
        except InvalidInput as exc:  # e.g. the unit was just deactivated
            decision.reasons.append({"code": R.ASSIGN_REFUSED.value, "detail": str(exc.errors)})
        else:
            return assigned  # the assign follow-up closes any queue entry
    dispatch_queue_put(order=order, reasons=decision.reasons, suggestions=decision.suggestions, now=now)
    return None


def dispatch_queue_unrouted(*, older_than: timedelta, now: datetime | None = None, limit: int = 200) -> int:
    """Queue accepted orders that were never routed (a lost broker message, or an order
    held back for an on-the-spot answer that did not happen), with the router's
    suggestion first. They are not assigned automatically: an operator may still be
    answering on the call, and a dispatcher decides."""
    now = now or timezone.now()
    queued = DispatchQueueEntry.objects.filter(order_id=OuterRef("pk"))
    # An order whose routing follow-up is still pending will be routed (re-run by the
    # outbox however long the workers were away); it is not the dispatchers' yet.
    routing = FollowUp.objects.filter(order_id=OuterRef("pk"), task="dispatch.route_order", state="pending")
    waiting = (
        WorkOrder.objects.filter(status=Status.ACCEPTED, updated_at__lt=now - older_than)
        .exclude(Exists(queued))
        .exclude(Exists(routing))
        .select_related("category__department", "street", "community", "grid")
        .order_by("updated_at")[:limit]
    )
    count = 0
    for order in waiting:
        decision = route_decide(order)
        suggestions = decision.suggestions
        if decision.unit is not None:
            first = {"unit": decision.unit.pk, "name": decision.unit.name, "score": 1.0, "why": _("派单规则")}
            suggestions = [first] + [s for s in suggestions if s["unit"] != decision.unit.pk][: MAX_SUGGESTIONS - 1]
        dispatch_queue_put(
            order=order, reasons=[Reason(code=R.NOT_ROUTED.value), *decision.reasons], suggestions=suggestions, now=now
        )
        count += 1
    return count
