"""The assessment's figures per unit, from the dashboard's own definitions.

Which rows make a figure is dashboards.selectors' rule, imported, not restated:
response and on-time rates from the sign/handle ``Deadline`` rows of the period
(``_deadline_rows``), resolution, satisfaction and reopen from the callback events
(``callback_events``, ``SATISFIED``). The one figure the dashboard does not have yet,
the return rate (退单率), is defined here once: returns by a unit ÷ orders dispatched to
it in the period, both read from the event log.

The assessment then leaves out what the center agreed should not count: every row of an
order with an approved exclusion, and the single deadline or event an upheld appeal
contested. Each query groups by unit in the database; units are then rolled up to the
assessed kind (a community's sign deadline counts for its street) with a dictionary of
the org tree (hundreds of units), never a loop over orders.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from dashboards import rolled
from dashboards.models import (
    DailyCallbacks,
    DailyDeadlines,
    DailyHandoffs,
    DailyPlaces,
    DailyUnitCallbacks,
    RollupState,
)
from dashboards.rollup import HANDOFF_KINDS, complaint_category, day_start, handoff_unit, place_categories
from dashboards.selectors import SATISFIED, Figure, Scope, _deadline_rows, callback_events
from governance.models import INDICATOR_KINDS, Appeal, AppealState, Decision, Exclusion, Indicator
from governance.serving import NOT_ORDERS, attribute_places, complaint_orders, complaint_parts
from grids.models import OrgUnit, UnitKind
from workorders.choices import DeadlineState, Stage
from workorders.models import Event, WorkOrder

STAGE_OF = {Indicator.RESPONSE: Stage.SIGN, Indicator.ON_TIME: Stage.HANDLE}
CALLBACK_INDICATORS = (Indicator.RESOLUTION, Indicator.SATISFACTION, Indicator.REOPEN)
DISPATCH_KINDS = ("assign", "reassign", "center_redispatch")
BELOW_LEAD = frozenset({UnitKind.COMMUNITY, UnitKind.PROPERTY})

# What the page says about what is left out (shown next to every score).
LEFT_OUT_NOTE = _(
    "经中心审核同意剔除的工单（不合理、虚假恶意、重复诉求、不可抗力）不计入任何指标；"
    "申诉成立的超时、回访评价或退单不计入相应指标。"
)


def excluded_order_ids() -> QuerySet:
    return Exclusion.objects.filter(state=Decision.APPROVED).values("order_id")


def _upheld(field: str) -> QuerySet:
    return Appeal.objects.filter(state=AppealState.UPHELD, **{f"{field}__isnull": False}).values(field)


def counted_deadlines(start: datetime, end: datetime, indicator: str, now: datetime) -> QuerySet:
    rows = _deadline_rows(Scope(start, end), STAGE_OF[indicator], now)
    return rows.exclude(order_id__in=excluded_order_ids()).exclude(pk__in=_upheld("deadline_id"))


def counted_callbacks(start: datetime, end: datetime) -> QuerySet[Event]:
    return (
        callback_events(Scope(start, end))
        .exclude(order_id__in=excluded_order_ids())
        .exclude(pk__in=_upheld("event_id"))
    )


def counted_returns(start: datetime, end: datetime) -> QuerySet[Event]:
    """退单率's numerator: the returns of the period (a return the center then agreed
    was justified, by an upheld appeal, does not count)."""
    return (
        Event.objects.filter(kind="return", created_at__gte=start, created_at__lt=end)
        .exclude(order_id__in=excluded_order_ids())
        .exclude(pk__in=_upheld("event_id"))
    )


def counted_dispatches(start: datetime, end: datetime) -> QuerySet[Event]:
    """退单率's denominator: the orders dispatched to a unit in the period."""
    return Event.objects.filter(kind__in=DISPATCH_KINDS, created_at__gte=start, created_at__lt=end).exclude(
        order_id__in=excluded_order_ids()
    )


def return_parts(start: datetime, end: datetime, below_lead: bool) -> tuple[QuerySet, QuerySet]:
    """退单率's (numerator, denominator) events, each annotated with the unit ``u`` they
    count for. A lead unit returns to the center (return ÷ assign); a unit below the lead
    (community, property company) hands back up (return_up ÷ sub_dispatch), and, when the
    center or the router dispatched to it directly (a 物业 routed its 小区's order), it
    returns like a lead (return ÷ assign): both count."""
    if not below_lead:
        return (
            counted_returns(start, end).annotate(u=_payload_int("from_unit")),
            counted_dispatches(start, end).annotate(u=_payload_int("unit")),
        )
    events = Event.objects.filter(created_at__gte=start, created_at__lt=end).exclude(order_id__in=excluded_order_ids())
    returned = (
        events.filter(kind__in=("return_up", "return"))
        .exclude(pk__in=_upheld("event_id"))
        .annotate(u=Case(When(kind="return_up", then=F("actor_unit_id")), default=_payload_int("from_unit")))
    )
    return returned, events.filter(kind__in=("sub_dispatch", *DISPATCH_KINDS)).annotate(u=_payload_int("unit"))


def _located(qs: QuerySet, located: set[int] | None) -> QuerySet:
    """Only the rows of orders located in the communities ``located`` (None: all): a
    community reading how the companies serving it do for its own residents."""
    return qs if located is None else qs.filter(order__community_id__in=located)


def callback_numerator(events: QuerySet[Event], indicator: str) -> QuerySet[Event]:
    """The same numerators as dashboards.selectors.orders_behind."""
    return {
        Indicator.RESOLUTION: events.filter(payload__resolution="solved"),
        Indicator.SATISFACTION: events.filter(payload__satisfaction__in=list(SATISFIED)),
        Indicator.REOPEN: events.filter(kind="reopen"),
    }[indicator]


def _payload_int(key: str):
    return Cast(KeyTextTransform(key, "payload"), IntegerField())


def assessed_map(kind: str) -> dict[int, int]:
    """Every unit id → the id of its ancestor-or-self of ``kind`` (units with none are left out)."""
    units = list(OrgUnit.objects.values_list("id", "kind", "path"))
    kinds = {pk: k for pk, k, _path in units}
    out = {}
    for pk, _kind, path in units:
        for anc in (int(p) for p in path.strip("/").split("/") if p):
            if kinds.get(anc) == kind:
                out[pk] = anc
                break
    return out


def indicators_for(kind: str) -> list[Indicator]:
    return [i for i in Indicator if kind in INDICATOR_KINDS.get(i, (kind,))]


def unit_figures(
    *, start: datetime, end: datetime, kind: str, now: datetime, located: set[int] | None = None
) -> dict[int, dict[str, Figure]]:
    """{assessed unit id: {indicator: Figure}} for every active unit of ``kind``;
    ``located``: only orders located in these communities (None: all)."""
    amap = assessed_map(kind)
    units = OrgUnit.objects.filter(kind=kind, is_active=True).values_list("id", flat=True)
    # Every indicator for every kind (one it does not apply to stays 0/0, unscored), so
    # reports and exports read one shape; the pages show indicators_for(kind).
    parts = {u: {i: [0, 0] for i in Indicator.values} for u in units}

    def add(unit_id, indicator, num, den):
        target = parts.get(amap.get(unit_id))
        if target is not None:
            target[indicator][0] += num
            target[indicator][1] += den

    # Both stages in one pass over the deadlines (the two definitions OR-ed, grouped by stage).
    indicator_of = {stage: indicator for indicator, stage in STAGE_OF.items()}
    both = counted_deadlines(start, end, Indicator.RESPONSE, now) | counted_deadlines(
        start, end, Indicator.ON_TIME, now
    )
    for r in (
        _located(both, located)
        .filter(unit_id__isnull=False)
        .values("unit_id", "stage")
        .annotate(due=Count("id"), met=Count("id", filter=Q(state=DeadlineState.MET)))
    ):
        add(r["unit_id"], indicator_of[r["stage"]], r["met"], r["due"])

    cb = {
        "made": Count("id"),
        Indicator.RESOLUTION.value: Count("id", filter=Q(payload__resolution="solved")),
        Indicator.SATISFACTION.value: Count("id", filter=Q(payload__satisfaction__in=list(SATISFIED))),
        Indicator.REOPEN.value: Count("id", filter=Q(kind="reopen")),
    }
    events = _located(counted_callbacks(start, end), located)
    # As the dashboard's ranking: callbacks count for the order's lead unit, read from the
    # event's payload (no join with the orders) and from the order for older events. A
    # community or property company is never the lead of a sub-dispatched order, so for
    # those kinds a callback counts for the unit the order sat with when it was answered
    # (a replied order stays with the unit that replied).
    if kind in BELOW_LEAD:
        grouped = (events.annotate(lu=F("order__current_unit_id")).values("lu"),)
    else:
        grouped = (
            events.filter(payload__has_key="lead_unit").annotate(lu=_payload_int("lead_unit")).values("lu"),
            events.exclude(payload__has_key="lead_unit").annotate(lu=F("order__lead_unit_id")).values("lu"),
        )
    for qs in grouped:
        for r in qs.annotate(**cb).values("lu", *cb):
            for indicator in CALLBACK_INDICATORS:
                add(r["lu"], indicator, r[indicator], r["made"])

    returned, dispatched = return_parts(start, end, kind in BELOW_LEAD)
    for r in _located(returned, located).values("u").annotate(n=Count("id")):
        add(r["u"], Indicator.RETURN, r["n"], 0)
    for r in _located(dispatched, located).values("u").annotate(n=Count("id")):
        add(r["u"], Indicator.RETURN, 0, r["n"])

    if Indicator.COMPLAINT in indicators_for(kind):
        # Counted for the company itself (a place is served by one unit, not a subtree).
        for unit_id, (num, den) in complaint_parts(
            start=start, end=end, excluded=excluded_order_ids(), located=located
        ).items():
            if unit_id in parts:
                parts[unit_id][Indicator.COMPLAINT] = [num, den]

    return {u: {i: Figure(i, num, den) for i, (num, den) in ind.items()} for u, ind in parts.items()}


CALLBACK_SUMS = {
    Indicator.RESOLUTION.value: "solved",
    Indicator.SATISFACTION.value: "satisfied",
    Indicator.REOPEN.value: "reopened",
}


def assessed_figures(
    *, start: datetime, end: datetime, kind: str, now: datetime, located: set[int] | None = None
) -> dict[int, dict[str, Figure]]:
    """unit_figures()' figures (the reference), with the whole days the dashboard's daily
    roll-up covers read from it (dashboards.rolled.split) and only the pieces around them
    live, so a month's ranking reads about a thousand rolled rows per table instead of the
    month's orders, callbacks, deadlines and events. The roll-up counts every row; what
    the assessment leaves out (approved exclusions, upheld appeals: a few orders, decided
    after the fact and without an event on the days they count for) is read live for
    the rolled days, by those orders' and rows' keys, and subtracted. Every part is a
    count that adds over disjoint days, so the sum equals unit_figures() over the whole
    period (governance/tests/test_rolled_figures.py). Figures of the orders located in
    some communities (``located``: a street's 物业 ranking) are computed live."""
    sp = rolled.split(Scope(start, end), now)
    if located is not None or not sp.rolled:
        return unit_figures(start=start, end=end, kind=kind, now=now, located=located)
    units = OrgUnit.objects.filter(kind=kind, is_active=True).values_list("id", flat=True)
    parts = {u: {i: [0, 0] for i in Indicator.values} for u in units}
    for piece in sp.live:
        for u, figs in unit_figures(start=piece.start, end=piece.end, kind=kind, now=now).items():
            for i, fig in figs.items():
                parts[u][i][0] += fig.numerator
                parts[u][i][1] += fig.denominator
    _add_rolled(parts, kind, sp.first, sp.last, now)
    return {u: {i: Figure(i, num, den) for i, (num, den) in ind.items()} for u, ind in parts.items()}


def _add_rolled(parts: dict, kind: str, first, last, now: datetime) -> None:
    """Add the figures of the rolled days [first, last) to ``parts``."""
    amap = assessed_map(kind)
    below = kind in BELOW_LEAD

    def add(unit_id, indicator, num, den):
        target = parts.get(amap.get(unit_id))
        if target is not None:
            target[indicator][0] += num
            target[indicator][1] += den

    days = {"day__gte": first, "day__lt": last}
    lo, hi = day_start(first), day_start(last)
    # What is left out, read live by key (the roll-up counts it): a handful of orders.
    excluded = list(excluded_order_ids().values_list("order_id", flat=True))
    upheld_deadlines = list(_upheld("deadline_id").values_list("deadline_id", flat=True))
    upheld_events = list(_upheld("event_id").values_list("event_id", flat=True))
    left_out = set(excluded)

    # Deadlines (response, on time) per unit and stage.
    indicator_of = {stage: indicator for indicator, stage in STAGE_OF.items()}
    for r in (
        DailyDeadlines.objects.filter(**days, stage__in=list(indicator_of), unit_id__isnull=False)
        .values("unit_id", "stage")
        .annotate(due=Sum("due"), met=Sum("met"))
        .order_by()
    ):
        add(r["unit_id"], indicator_of[r["stage"]], r["met"], r["due"])
    if excluded or upheld_deadlines:
        piece = Scope(lo, hi)
        rows = _deadline_rows(piece, STAGE_OF[Indicator.RESPONSE], now) | _deadline_rows(
            piece, STAGE_OF[Indicator.ON_TIME], now
        )
        for r in (
            rows.filter(Q(order_id__in=excluded) | Q(pk__in=upheld_deadlines), unit_id__isnull=False)
            .values("unit_id", "stage")
            .annotate(due=Count("id"), met=Count("id", filter=Q(state=DeadlineState.MET)))
            .order_by()
        ):
            add(r["unit_id"], indicator_of[r["stage"]], -r["met"], -r["due"])

    # Callbacks, for the unit the live figure credits (see unit_figures).
    sums = {"made": Sum("made"), **{k: Sum(v) for k, v in CALLBACK_SUMS.items()}}
    if below:
        cb_rows = DailyUnitCallbacks.objects.filter(**days).values(lu=F("unit_id"))
    else:
        cb_rows = DailyCallbacks.objects.filter(**days).values(lu=F("rank_unit_id"))
    for r in cb_rows.annotate(**sums).order_by():
        for indicator in CALLBACK_INDICATORS:
            add(r["lu"], indicator, r[indicator] or 0, r["made"] or 0)
    if excluded or upheld_events:
        events = callback_events(Scope(lo, hi)).filter(Q(order_id__in=excluded) | Q(pk__in=upheld_events))
        if below:
            events = events.annotate(lu=F("order__current_unit_id"))
        else:
            events = events.annotate(
                lu=Case(
                    When(payload__has_key="lead_unit", then=_payload_int("lead_unit")),
                    default=F("order__lead_unit_id"),
                    output_field=IntegerField(),
                )
            )
        cb = {
            "made": Count("id"),
            Indicator.RESOLUTION.value: Count("id", filter=Q(payload__resolution="solved")),
            Indicator.SATISFACTION.value: Count("id", filter=Q(payload__satisfaction__in=list(SATISFIED))),
            Indicator.REOPEN.value: Count("id", filter=Q(kind="reopen")),
        }
        for r in events.values("lu").annotate(**cb).values("lu", *cb).order_by():
            for indicator in CALLBACK_INDICATORS:
                add(r["lu"], indicator, -r[indicator], -r["made"])

    # Returns ÷ dispatches (see return_parts).
    returns = ("return_up", "return") if below else ("return",)
    dispatches = ("sub_dispatch", *DISPATCH_KINDS) if below else DISPATCH_KINDS
    for r in DailyHandoffs.objects.filter(**days).values("kind", "unit_id").annotate(n=Sum("n")).order_by():
        if r["kind"] in returns:
            add(r["unit_id"], Indicator.RETURN, r["n"], 0)
        elif r["kind"] in dispatches:
            add(r["unit_id"], Indicator.RETURN, 0, r["n"])
    if excluded or upheld_events:
        upheld = set(upheld_events)
        for pk, order_id, event_kind, unit_id in (
            Event.objects.filter(kind__in=HANDOFF_KINDS, created_at__gte=lo, created_at__lt=hi)
            .filter(Q(order_id__in=excluded) | Q(pk__in=upheld_events))
            .annotate(u=handoff_unit())
            .values_list("pk", "order_id", "kind", "u")
        ):
            if event_kind in returns and (order_id in left_out or pk in upheld):
                add(unit_id, Indicator.RETURN, -1, 0)
            elif event_kind in dispatches and order_id in left_out:
                add(unit_id, Indicator.RETURN, 0, -1)

    # 被投诉率: the orders per place and complaint category, the excluded ones taken out.
    if Indicator.COMPLAINT in indicators_for(kind):
        categories = place_categories()
        state = RollupState.objects.order_by("pk").first()
        if categories != list(state.place_categories or []):
            # The complaint categories changed since DailyPlaces was rolled (the beat
            # task re-rolls it): these days are counted live meanwhile.
            places = complaint_parts(start=lo, end=hi, excluded=excluded_order_ids())
        else:
            counts: dict[tuple, int] = {}
            for r in (
                DailyPlaces.objects.filter(**days)
                .values_list("community_id", "grid_id", "category_id")
                .annotate(n=Sum("received"))
                .order_by()
            ):
                counts[r[:3]] = r[3]
            if excluded:
                for r in (
                    WorkOrder.objects.filter(pk__in=excluded, created_at__gte=lo, created_at__lt=hi)
                    .filter(community_id__isnull=False)
                    .exclude(status__in=NOT_ORDERS)
                    .values_list("community_id", "grid_id", complaint_category(categories))
                    .annotate(n=Count("id"))
                    .order_by()
                ):
                    counts[r[:3]] = counts.get(r[:3], 0) - r[3]
            places = attribute_places(
                [{"community_id": c, "grid_id": g, "category_id": cat, "n": n} for (c, g, cat), n in counts.items()]
            )
        for unit_id, (num, den) in places.items():
            if unit_id in parts:
                parts[unit_id][Indicator.COMPLAINT][0] += num
                parts[unit_id][Indicator.COMPLAINT][1] += den


def orders_behind_score(
    *,
    start: datetime,
    end: datetime,
    unit: OrgUnit,
    indicator: str,
    part: str,
    now: datetime,
    located: set[int] | None = None,
) -> QuerySet[WorkOrder]:
    """The orders a unit's figure counted: ``part`` "num" (numerator) or "all" (denominator).
    The caller intersects it with what the viewer may open (workorders.scope)."""
    ids = set(OrgUnit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))
    if indicator == Indicator.COMPLAINT:
        return complaint_orders(
            start=start, end=end, unit_id=unit.pk, part=part, excluded=excluded_order_ids(), located=located
        )
    if indicator in STAGE_OF:
        rows = _located(counted_deadlines(start, end, indicator, now), located).filter(unit_id__in=ids)
        if part == "num":
            rows = rows.filter(state=DeadlineState.MET)
        return WorkOrder.objects.filter(pk__in=rows.values("order_id"))
    if indicator in CALLBACK_INDICATORS:
        events = _located(counted_callbacks(start, end), located)
        if unit.kind in BELOW_LEAD:
            events = events.filter(order__current_unit_id__in=ids)
        else:
            events = events.filter(
                Q(payload__has_key="lead_unit", payload__lead_unit__in=list(ids))
                | (~Q(payload__has_key="lead_unit") & Q(order__lead_unit_id__in=ids))
            )
        if part == "num":
            events = callback_numerator(events, indicator)
        return WorkOrder.objects.filter(pk__in=events.values("order_id"))
    if indicator == Indicator.RETURN:
        returned, dispatched = return_parts(start, end, unit.kind in BELOW_LEAD)
        events = _located(returned if part == "num" else dispatched, located).filter(u__in=ids)
        return WorkOrder.objects.filter(pk__in=events.values("order_id"))
    raise ValueError(f"unknown indicator {indicator}")
