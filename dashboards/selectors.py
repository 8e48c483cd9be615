"""Supervisor statistics (三率, on-time, overdue, volumes, rankings, trends, map, hotspots).

Every figure is one aggregate query (GROUP BY in the database, never a Python loop over
orders), read from the rows the workflow writes anyway:

- response and on-time rates from ``Deadline`` rows (sign and handle stages) whose due
  time falls in the period: met ÷ (met + breached + still open past due);
- resolution and satisfaction rates from the callback ``Event`` rows of the period
  (``callback_close`` and ``reopen`` are exactly the callbacks where the resident was
  reached; their payload carries resolution and satisfaction);
- volume, handling time, map, hotspots and trends from ``WorkOrder``.

A scope is a period and optionally a unit: an order belongs to a unit's scope when its
lead unit or its located street lies in the unit's subtree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Avg, BooleanField, Count, F, Func, IntegerField, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from grids.models import OrgUnit, UnitKind
from grids.selectors import unit_subtree_ids
from workorders.choices import Channel, DeadlineState, Satisfaction, Stage
from workorders.models import Category, Deadline, Event, WorkOrder
from workorders.scope import territory_q
from workorders.transitions import REACHED_CALLBACKS

CALLBACK_KINDS = REACHED_CALLBACKS  # callbacks in which the resident was reached
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASIC)


@dataclass(frozen=True)
class Scope:
    start: datetime
    end: datetime
    unit: OrgUnit | None = None  # None or the center: the whole district

    @property
    def unit_ids(self) -> set[int] | None:
        """The unit's subtree, read once per scope (and once for the pieces ``within``
        makes of it): the board's figures ask for it some thirty times a page."""
        if self.unit is None or self.unit.kind == UnitKind.CENTER:
            return None
        ids = self.__dict__.get("_unit_ids")
        if ids is None:
            ids = unit_subtree_ids(self.unit)
            object.__setattr__(self, "_unit_ids", ids)
        return ids

    def within(self, start: datetime, end: datetime) -> Scope:
        """The same unit over another period (a piece of this one, or an earlier one),
        sharing the subtree already read."""
        out = Scope(start, end, self.unit)
        if "_unit_ids" in self.__dict__:
            object.__setattr__(out, "_unit_ids", self.__dict__["_unit_ids"])
        return out


@dataclass
class Figure:
    """A rate with both of its parts, so the page can show numerator and denominator."""

    key: str
    numerator: int
    denominator: int
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


# Which orders count for a unit is workorders.scope's rule, the same one that decides
# who may open them (a desk role's scope includes this territory), so the list behind a
# figure never drops an order the figure counted. The name stays for dashboards.rolled.
_order_q = territory_q


def scoped_orders(scope: Scope) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(_order_q(scope.unit_ids))


def _deadline_rows(scope: Scope, stage: str, now: datetime) -> QuerySet[Deadline]:
    """Deadlines of a stage due in the period that have come to a result (closed, or
    still open although their time has passed). Cancelled ones (a return) don't count."""
    qs = Deadline.objects.filter(stage=stage, due_at__gte=scope.start, due_at__lt=scope.end).filter(
        Q(state__in=[DeadlineState.MET, DeadlineState.BREACHED]) | Q(state=DeadlineState.OPEN, due_at__lt=now)
    )
    ids = scope.unit_ids
    if ids is not None:
        qs = qs.filter(unit_id__in=ids)
    return qs


def _stage_figures(scope: Scope, now: datetime) -> dict[str, Figure]:
    """Response (sign stage) and on-time (handle stage) rates in one pass."""
    qs = Deadline.objects.filter(
        stage__in=[Stage.SIGN, Stage.HANDLE], due_at__gte=scope.start, due_at__lt=scope.end
    ).filter(Q(state__in=[DeadlineState.MET, DeadlineState.BREACHED]) | Q(state=DeadlineState.OPEN, due_at__lt=now))
    ids = scope.unit_ids
    if ids is not None:
        qs = qs.filter(unit_id__in=ids)
    met = Q(state=DeadlineState.MET)
    agg = qs.aggregate(
        sign_due=Count("id", filter=Q(stage=Stage.SIGN)),
        sign_met=Count("id", filter=Q(stage=Stage.SIGN) & met),
        handle_due=Count("id", filter=Q(stage=Stage.HANDLE)),
        handle_met=Count("id", filter=Q(stage=Stage.HANDLE) & met),
    )
    return {
        "response": Figure("response", agg["sign_met"], agg["sign_due"]),
        "on_time": Figure("on_time", agg["handle_met"], agg["handle_due"]),
    }


def callback_events(scope: Scope) -> QuerySet[Event]:
    qs = Event.objects.filter(kind__in=CALLBACK_KINDS, created_at__gte=scope.start, created_at__lt=scope.end)
    ids = scope.unit_ids
    if ids is not None:
        qs = qs.filter(_order_q(ids, "order__"))
    return qs


# 直接答复率: calls answered on the spot (answer_now) ÷ hotline calls logged (log_call),
# both counted from the events of the period, and of those answers the share given from
# a knowledge-base article (the event's payload names it).
DIRECT_KINDS = ("log_call", "answer_now")


def direct_answer_events(scope: Scope, kind: str) -> QuerySet[Event]:
    qs = Event.objects.filter(kind=kind, created_at__gte=scope.start, created_at__lt=scope.end)
    ids = scope.unit_ids
    if ids is not None:
        qs = qs.filter(_order_q(ids, "order__"))
    return qs


def direct_answer(scope: Scope) -> Figure:
    """One query over the event index (kind, created_at); the article share in ``extra``."""
    qs = Event.objects.filter(kind__in=DIRECT_KINDS, created_at__gte=scope.start, created_at__lt=scope.end)
    ids = scope.unit_ids
    if ids is not None:
        qs = qs.filter(_order_q(ids, "order__"))
    agg = qs.aggregate(
        calls=Count("id", filter=Q(kind="log_call")),
        answered=Count("id", filter=Q(kind="answer_now")),
        from_article=Count("id", filter=Q(kind="answer_now", payload__has_key="article")),
    )
    kb = Figure("kb_answer", agg["from_article"], agg["answered"])
    return Figure("direct_answer", agg["answered"], agg["calls"], {"kb": kb})


# 未诉先办: orders raised before anyone complained (care app, Channel.PROACTIVE), counted
# apart from the complaints: received in the period, in the scope's territory. They are
# in 受理量 too (they are work like any other); this figure says how many of it were.
def proactive_orders(scope: Scope) -> QuerySet[WorkOrder]:
    return scoped_orders(scope).filter(channel=Channel.PROACTIVE, created_at__gte=scope.start, created_at__lt=scope.end)


def proactive(scope: Scope) -> Figure:
    """Not rolled up: a count over the channel's few rows, read live."""
    return Figure("proactive", proactive_orders(scope).count(), 0)


def overdue_deadlines(scope: Scope, now: datetime) -> QuerySet[Deadline]:
    """Open deadlines past due right now (the period does not apply: overdue is a state)."""
    qs = Deadline.objects.filter(state=DeadlineState.OPEN, due_at__lt=now)
    ids = scope.unit_ids
    if ids is not None:
        qs = qs.filter(unit_id__in=ids)
    return qs


def overdue_places(scope: Scope, now: datetime) -> dict[tuple[int | None, int | None], int]:
    """Orders overdue now (overdue_deadlines), counted per (grid, community) they are
    located in. An order lies in one place, so these counts add up: all of them to the
    overdue orders, a grid's (or community's) to its own. The board reads the open
    deadlines past due once for its headline, its map and the sub-units (at a million
    orders each read joined ~4,000 deadlines with their orders: 10–25 ms apiece)."""
    rows = (
        overdue_deadlines(scope, now)
        .values("order__grid_id", "order__community_id")
        .annotate(n=Count("order_id", distinct=True))
        .order_by()
    )
    return {(r["order__grid_id"], r["order__community_id"]): r["n"] for r in rows}


def summary(scope: Scope, *, now: datetime | None = None) -> dict[str, Figure]:
    """The headline figures for a period and scope, each with numerator and denominator."""
    now = now or timezone.now()
    figures = _stage_figures(scope, now)
    cb = callback_events(scope).aggregate(
        made=Count("id"),
        solved=Count("id", filter=Q(payload__resolution="solved")),
        satisfied=Count("id", filter=Q(payload__satisfaction__in=list(SATISFIED))),
        reopened=Count("id", filter=Q(kind="reopen")),
    )
    figures["resolution"] = Figure("resolution", cb["solved"], cb["made"])
    figures["satisfaction"] = Figure("satisfaction", cb["satisfied"], cb["made"])
    figures["reopen"] = Figure("reopen", cb["reopened"], cb["made"])
    orders = scoped_orders(scope)
    volume = orders.filter(created_at__gte=scope.start, created_at__lt=scope.end).count()
    handled = orders.filter(replied_at__gte=scope.start, replied_at__lt=scope.end).aggregate(
        n=Count("id"), avg=Avg(F("replied_at") - F("created_at"))
    )
    figures["volume"] = Figure("volume", volume, 0)
    overdue = overdue_deadlines(scope, now).values("order_id").distinct().count()
    figures["overdue"] = Figure("overdue", overdue, 0)
    avg = handled["avg"]
    if avg is not None and not isinstance(avg, timedelta):  # SQLite returns microseconds
        avg = timedelta(microseconds=avg)
    figures["handling"] = Figure("handling", handled["n"], 0, {"avg": avg})
    figures["direct_answer"] = direct_answer(scope)
    figures["proactive"] = proactive(scope)
    return figures


def unit_ranking(scope: Scope, *, now: datetime | None = None, limit: int = 50) -> list[dict]:
    """Streets and departments ranked by satisfaction, then on-time rate.

    Three GROUP BY queries (orders, callbacks, handle deadlines) over the lead unit;
    the merge loops over units (dozens), never over orders."""
    now = now or timezone.now()
    units = OrgUnit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.DEPARTMENT], is_active=True)
    ids = scope.unit_ids
    if ids is not None:
        units = units.filter(id__in=ids)
    rows = {u.pk: {"unit": u, "volume": 0, "made": 0, "solved": 0, "satisfied": 0, "due": 0, "met": 0} for u in units}
    for r in (
        WorkOrder.objects.filter(lead_unit_id__in=rows, created_at__gte=scope.start, created_at__lt=scope.end)
        .values("lead_unit_id")
        .annotate(n=Count("id"))
    ):
        rows[r["lead_unit_id"]]["volume"] = r["n"]
    events = Event.objects.filter(kind__in=CALLBACK_KINDS, created_at__gte=scope.start, created_at__lt=scope.end)
    cb = {
        "made": Count("id"),
        "solved": Count("id", filter=Q(payload__resolution="solved")),
        "satisfied": Count("id", filter=Q(payload__satisfaction__in=list(SATISFIED))),
    }
    # Callback events carry the order's lead unit in their payload, so they are grouped
    # without joining the orders table (at a million orders that join was this page's
    # costliest query). Events written before the payload had it fall back to the join.
    lead = Cast(KeyTextTransform("lead_unit", "payload"), IntegerField())
    grouped = [
        events.filter(payload__has_key="lead_unit").annotate(lu=lead).filter(lu__in=rows).values("lu"),
        events.exclude(payload__has_key="lead_unit")
        .filter(order__lead_unit_id__in=rows)
        .annotate(lu=F("order__lead_unit_id"))
        .values("lu"),
    ]
    for qs in grouped:
        for r in qs.annotate(**cb).values("lu", *cb):
            row = rows[r["lu"]]
            for k in cb:
                row[k] += r[k]
    # Handle deadlines are opened at the lead unit on assignment; a sub-dispatch keeps
    # the clock running, so the deadline's unit is the lead unit.
    for r in (
        _deadline_rows(Scope(scope.start, scope.end), Stage.HANDLE, now)
        .filter(unit_id__in=rows)
        .values("unit_id")
        .annotate(due=Count("id"), met=Count("id", filter=Q(state=DeadlineState.MET)))
    ):
        rows[r["unit_id"]].update(due=r["due"], met=r["met"])
    result = []
    for row in rows.values():
        row["satisfaction"] = Figure("satisfaction", row["satisfied"], row["made"])
        row["resolution"] = Figure("resolution", row["solved"], row["made"])
        row["on_time"] = Figure("on_time", row["met"], row["due"])
        result.append(row)

    def key(row):
        s, o = row["satisfaction"].rate, row["on_time"].rate
        return (s is None, -(s or 0), o is None, -(o or 0), -row["volume"], row["unit"].code)

    return sorted(result, key=key)[:limit]


def category_volumes(scope: Scope, *, limit: int = 15) -> list[dict]:
    # Group by id only (an index-only scan over the period), then name the few winners.
    rows = list(
        scoped_orders(scope)
        .filter(created_at__gte=scope.start, created_at__lt=scope.end, category__isnull=False)
        .values("category_id")
        .annotate(n=Count("id"))
        .order_by("-n", "category_id")[:limit]
    )
    cats = Category.objects.select_related("parent").in_bulk([r["category_id"] for r in rows])
    for r in rows:
        cat = cats[r["category_id"]]
        r["category__name"], r["category__parent__name"] = cat.name, cat.parent.name if cat.parent_id else ""
    return rows


TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def trend(scope: Scope, *, bucket: str = "day") -> list[dict]:
    """Orders received and replied per day/week/month of the period."""
    trunc = TRUNC[bucket]
    orders = scoped_orders(scope)
    received = (
        orders.filter(created_at__gte=scope.start, created_at__lt=scope.end)
        .annotate(b=trunc("created_at"))
        .values("b")
        .annotate(n=Count("id"))
    )
    replied = (
        orders.filter(replied_at__gte=scope.start, replied_at__lt=scope.end)
        .annotate(b=trunc("replied_at"))
        .values("b")
        .annotate(n=Count("id"))
    )
    buckets: dict = {}
    for r in received:
        buckets.setdefault(_day(r["b"]), {"received": 0, "replied": 0})["received"] = r["n"]
    for r in replied:
        buckets.setdefault(_day(r["b"]), {"received": 0, "replied": 0})["replied"] = r["n"]
    return [{"bucket": b, **v} for b, v in sorted(buckets.items())]


def _day(value):
    return value.date() if isinstance(value, datetime) else value


def grid_volumes(scope: Scope) -> list[tuple[int, int]]:
    """(grid id, orders received in the period) for the grids with any."""
    return list(
        scoped_orders(scope)
        .filter(created_at__gte=scope.start, created_at__lt=scope.end, grid__isnull=False)
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    )


def grid_figures(scope: Scope, *, now: datetime | None = None) -> dict[int, dict]:
    """Per grid: orders received in the period and orders overdue now."""
    now = now or timezone.now()
    out: dict[int, dict] = {}
    for grid_id, n in grid_volumes(scope):
        out.setdefault(grid_id, {"volume": 0, "overdue": 0})["volume"] = n
    for r in (
        overdue_deadlines(scope, now)
        .filter(order__grid__isnull=False)
        .values("order__grid_id")
        .annotate(n=Count("order_id", distinct=True))
    ):
        out.setdefault(r["order__grid_id"], {"volume": 0, "overdue": 0})["overdue"] = r["n"]
    return out


def hotspots(scope: Scope, *, min_count: int = 3, limit: int = 20) -> list[dict]:
    """易反复问题: the same grid and category complained about again and again."""
    rows = list(
        scoped_orders(scope)
        .filter(created_at__gte=scope.start, created_at__lt=scope.end, grid__isnull=False, category__isnull=False)
        .values("grid_id", "category_id")
        .annotate(n=Count("id"))
        .filter(n__gte=min_count)
        .order_by("-n", "grid_id", "category_id")[:limit]
    )
    grids = OrgUnit.objects.select_related("parent").in_bulk({r["grid_id"] for r in rows})
    cats = Category.objects.in_bulk({r["category_id"] for r in rows})
    for r in rows:
        grid = grids[r["grid_id"]]
        r["grid__name"], r["community__name"] = grid.name, grid.parent.name if grid.parent_id else ""
        r["category__name"] = cats[r["category_id"]].name
    return rows


# --- click-through: the orders behind a figure ------------------------------------

FIGURE_PARTS = {
    "response": ("sign", "met"),
    "on_time": ("handle", "met"),
}


# Rates count rows, not orders: a stage deadline (a sub-dispatched order has a sign
# stage at the street and another at the community; a returned and re-dispatched order
# another again), a callback (an order reopened and called back twice has two), or a
# call/answer event. Their click-through lists show each order once, so the page says
# what the figure counted and how many of those rows the listed orders hold.
RATE_FIGURES = ("response", "on_time", "resolution", "satisfaction", "reopen", "direct_answer", "kb_answer")


def figure_rows(
    scope: Scope, figure: str, part: str = "all", *, now: datetime | None = None
) -> QuerySet[Deadline] | QuerySet[Event] | None:
    """The rows a rate figure counts (its numerator with ``part="num"``, else its
    denominator): Deadline or Event rows, each with ``order_id``. None for the figures
    that count orders (volume, handling, overdue)."""
    now = now or timezone.now()
    if figure in FIGURE_PARTS:
        stage, _ = FIGURE_PARTS[figure]
        rows = _deadline_rows(scope, stage, now)
        return rows.filter(state=DeadlineState.MET) if part == "num" else rows
    if figure in {"resolution", "satisfaction", "reopen"}:
        events = callback_events(scope)
        if part == "num":
            events = {
                "resolution": events.filter(payload__resolution="solved"),
                "satisfaction": events.filter(payload__satisfaction__in=list(SATISFIED)),
                "reopen": events.filter(kind="reopen"),
            }[figure]
        return events
    if figure == "direct_answer":
        return direct_answer_events(scope, "answer_now" if part == "num" else "log_call")
    if figure == "kb_answer":
        events = direct_answer_events(scope, "answer_now")
        return events.filter(payload__has_key="article") if part == "num" else events
    return None


class KeyIn(Func):
    """``key = ANY(ARRAY(subquery))``: the orders of a set of rows (a period's callbacks,
    deadlines, events), read by their key. As ``pk IN (subquery)`` PostgreSQL sees the
    tens of thousands of ids a month's rate counts and prefers a hash semi-join that reads
    every order ever filed (a month's satisfaction list: 555 ms at a million orders, growing
    with the history; 242 ms this way, BENCHMARKS.md); an array
    computed first (an InitPlan over the period's rows through their index) is a list of
    keys, which it looks up in the primary key: the cost follows the period, not the
    history. Same rows as IN; SQLite (no arrays) gets the IN."""

    output_field = BooleanField()
    conditional = True
    arity = 2

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        key, ids = self.get_source_expressions()
        key_sql, key_params = compiler.compile(key)
        ids_sql, ids_params = compiler.compile(ids)  # "(SELECT ...)"
        if connection.vendor == "postgresql":
            return f"{key_sql} = ANY(ARRAY{ids_sql})", (*key_params, *ids_params)
        return f"{key_sql} IN {ids_sql}", (*key_params, *ids_params)


class KeyAmong(Func):
    """``key = ANY(%s)`` with the ids as one array parameter: a list of a few thousand keys
    read first (the overdue orders). As ``pk__in=[…]`` Django compiles one placeholder per
    id and PostgreSQL parses as many (4,108 ids at a million orders: 12 → 4.4 ms of
    CPU, 28 → 16 ms wall for the list's query, BENCHMARKS.md). SQLite gets the IN."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, key, ids: list[int]) -> None:
        super().__init__(key)
        self.ids = list(ids)

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        (key,) = self.get_source_expressions()
        key_sql, key_params = compiler.compile(key)
        if connection.vendor == "postgresql":
            return f"{key_sql} = ANY(%s)", (*key_params, self.ids)
        if not self.ids:
            return "1 = 0", tuple(key_params)
        return f"{key_sql} IN ({', '.join(['%s'] * len(self.ids))})", (*key_params, *self.ids)


def orders_behind(scope: Scope, figure: str, part: str = "all", *, now: datetime | None = None) -> QuerySet[WorkOrder]:
    """The orders counted in a figure: ``part`` is "num" (numerator) or "all" (denominator).
    For a rate, the orders of figure_rows(), each once."""
    now = now or timezone.now()
    rows = figure_rows(scope, figure, part, now=now)
    if rows is not None:
        return WorkOrder.objects.filter(KeyIn(F("pk"), Subquery(rows.order_by().values("order_id"))))
    if figure == "overdue":
        # The ids themselves (a few thousand: the running orders past due, a state of the
        # working set): as a subquery PostgreSQL misjudged how many and joined it to a
        # sequential scan of every order ever filed (124 ms at a million, ×3 from 100k).
        ids = overdue_deadlines(scope, now).order_by().values_list("order_id", flat=True).distinct()
        return WorkOrder.objects.filter(KeyAmong(F("pk"), list(ids)))
    if figure == "handling":
        return scoped_orders(scope).filter(replied_at__gte=scope.start, replied_at__lt=scope.end)
    if figure == "proactive":
        return proactive_orders(scope)
    # volume (default)
    return scoped_orders(scope).filter(created_at__gte=scope.start, created_at__lt=scope.end)


# --- the whole board (the live reference the roll-up-backed one is tested against) ---


def board(scope: Scope, *, bucket: str = "day", now: datetime | None = None) -> dict:
    """Everything the supervisor's page shows for one scope, computed in one go."""
    now = now or timezone.now()
    return {
        "summary": summary(scope, now=now),
        "ranking": unit_ranking(scope, now=now),
        "categories": category_volumes(scope),
        "trend": trend(scope, bucket=bucket),
        "grids": grid_figures(scope, now=now),
        "hotspots": hotspots(scope),
        "computed_at": now,
    }
