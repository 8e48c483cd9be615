"""The supervisor's figures read from the daily roll-up plus a live tail (what the pages show).

A scope's period is split into the whole local days the roll-up covers (days before
``RollupState.rolled_through`` and before ``now``), read from dashboards.models, and the
partial or recent pieces at either end, read by the live selectors (dashboards/
selectors.py, the reference). Every figure is a sum of parts that add up over disjoint
time pieces, so the result equals the live selectors' over the whole period; the parity
tests check that. "Overdue" is a state at ``now``, not a period: it stays live.
Hotspots group by (grid, category), which a daily roll-up would barely shrink; they read
whole weeks from WeeklyPairs and the days around them live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, DurationField, F, Q, Sum
from django.utils import timezone

from dashboards import selectors as ds
from dashboards.models import (
    DailyCallbacks,
    DailyCategory,
    DailyDeadlines,
    DailyDirect,
    DailyOrders,
    RollupState,
    WeeklyPairs,
)
from dashboards.rollup import day_start, local_day, monday
from grids.models import OrgUnit, UnitKind
from workorders.choices import Stage
from workorders.models import Category

PARTS = (
    "sign_due",
    "sign_met",
    "handle_due",
    "handle_met",
    "made",
    "solved",
    "satisfied",
    "reopened",
    "volume",
    "handled",
    "handling_us",
)


@dataclass
class Split:
    """[first, last) whole days from the roll-up, and the live pieces around them."""

    first: date | None = None
    last: date | None = None
    live: list[ds.Scope] = field(default_factory=list)

    @property
    def rolled(self) -> bool:
        return self.first is not None


def split(scope: ds.Scope, now: datetime) -> Split:
    state = RollupState.objects.order_by("pk").first()
    if state is None or state.rolled_through is None:
        return Split(live=[scope])
    first = local_day(scope.start)
    if day_start(first) < scope.start:
        first += timedelta(days=1)
    # A rolled day counts its open deadlines as past due, so it must have ended by now.
    last = min(local_day(scope.end), state.rolled_through, local_day(now))
    if first >= last:
        return Split(live=[scope])
    out = Split(first=first, last=last)
    if scope.start < day_start(first):
        out.live.append(scope.within(scope.start, day_start(first)))
    if day_start(last) < scope.end:
        out.live.append(scope.within(day_start(last), scope.end))
    return out


def _live_parts(piece: ds.Scope, now: datetime) -> dict[str, int]:
    stages = ds._stage_figures(piece, now)
    cb = ds.callback_events(piece).aggregate(
        made=Count("id"),
        solved=Count("id", filter=Q(payload__resolution="solved")),
        satisfied=Count("id", filter=Q(payload__satisfaction__in=list(ds.SATISFIED))),
        reopened=Count("id", filter=Q(kind="reopen")),
    )
    orders = ds.scoped_orders(piece)
    handled = orders.filter(replied_at__gte=piece.start, replied_at__lt=piece.end).aggregate(
        n=Count("id"), d=Sum(F("replied_at") - F("created_at"), output_field=DurationField())
    )
    return {
        "sign_due": stages["response"].denominator,
        "sign_met": stages["response"].numerator,
        "handle_due": stages["on_time"].denominator,
        "handle_met": stages["on_time"].numerator,
        **cb,
        "volume": orders.filter(created_at__gte=piece.start, created_at__lt=piece.end).count(),
        "handled": handled["n"],
        "handling_us": (handled["d"] or timedelta(0)) // timedelta(microseconds=1),
    }


def _days(model, sp: Split):
    return model.objects.filter(day__gte=sp.first, day__lt=sp.last)


def _rolled_parts(sp: Split, ids: set[int] | None) -> dict[str, int]:
    out = dict.fromkeys(PARTS, 0)
    deadlines = _days(DailyDeadlines, sp)
    if ids is not None:
        deadlines = deadlines.filter(unit_id__in=ids)
    for r in deadlines.values("stage").annotate(due=Sum("due"), met=Sum("met")).order_by():
        if r["stage"] in (Stage.SIGN, Stage.HANDLE):
            out[f"{r['stage']}_due"], out[f"{r['stage']}_met"] = r["due"], r["met"]
    cb = (
        _days(DailyCallbacks, sp)
        .filter(ds._order_q(ids))
        .aggregate(made=Sum("made"), solved=Sum("solved"), satisfied=Sum("satisfied"), reopened=Sum("reopened"))
    )
    orders = (
        _days(DailyOrders, sp)
        .filter(ds._order_q(ids))
        .aggregate(volume=Sum("received"), handled=Sum("replied"), handling_us=Sum("handling_us"))
    )
    for key, value in {**cb, **orders}.items():
        out[key] = value or 0
    return out


def summary(
    scope: ds.Scope,
    *,
    now: datetime | None = None,
    headline_only: bool = False,
    overdue_places: dict | None = None,
    split_: Split | None = None,
) -> dict[str, ds.Figure]:
    """Same figures as selectors.summary, from the roll-up where it reaches.
    ``headline_only``: the rates and the volume alone (what the comparison with an
    earlier period reads, dashboards.compare), without the overdue orders (a state at
    ``now``, the same for every period), direct answers and proactive orders.
    ``overdue_places``: selectors.overdue_places(scope, now) when the caller has it
    already (the board), so the overdue orders are not read again."""
    now = now or timezone.now()
    sp = split_ or split(scope, now)
    total = dict.fromkeys(PARTS, 0)
    pieces = [_live_parts(piece, now) for piece in sp.live]
    if sp.rolled:
        pieces.append(_rolled_parts(sp, scope.unit_ids))
    for part in pieces:
        for key in PARTS:
            total[key] += part[key]
    avg = timedelta(microseconds=total["handling_us"] / total["handled"]) if total["handled"] else None
    figures = {
        "response": ds.Figure("response", total["sign_met"], total["sign_due"]),
        "on_time": ds.Figure("on_time", total["handle_met"], total["handle_due"]),
        "resolution": ds.Figure("resolution", total["solved"], total["made"]),
        "satisfaction": ds.Figure("satisfaction", total["satisfied"], total["made"]),
        "reopen": ds.Figure("reopen", total["reopened"], total["made"]),
        "volume": ds.Figure("volume", total["volume"], 0),
        "handling": ds.Figure("handling", total["handled"], 0, {"avg": avg}),
    }
    if headline_only:
        return figures
    if overdue_places is None:
        overdue = ds.overdue_deadlines(scope, now).values("order_id").distinct().count()
    else:
        overdue = sum(overdue_places.values())
    figures["overdue"] = ds.Figure("overdue", overdue, 0)
    figures["direct_answer"] = direct_answer(scope, now=now, split_=sp)
    figures["proactive"] = ds.proactive(scope)  # live: see selectors.proactive
    return figures


def direct_answer(scope: ds.Scope, *, now: datetime | None = None, split_: Split | None = None) -> ds.Figure:
    """selectors.direct_answer's figure: the rolled days from DailyDirect, the rest live."""
    sp = split_ or split(scope, now or timezone.now())
    calls = answered = from_article = 0
    for piece in sp.live:
        fig = ds.direct_answer(piece)
        calls, answered, from_article = (
            calls + fig.denominator,
            answered + fig.numerator,
            from_article + fig.extra["kb"].numerator,
        )
    if sp.rolled:
        agg = (
            _days(DailyDirect, sp)
            .filter(ds._order_q(scope.unit_ids))
            .aggregate(calls=Sum("calls"), answered=Sum("answered"), from_article=Sum("from_article"))
        )
        calls += agg["calls"] or 0
        answered += agg["answered"] or 0
        from_article += agg["from_article"] or 0
    kb = ds.Figure("kb_answer", from_article, answered)
    return ds.Figure("direct_answer", answered, calls, {"kb": kb})


RANK_PARTS = ("volume", "made", "solved", "satisfied", "due", "met")


def unit_ranking(
    scope: ds.Scope, *, now: datetime | None = None, limit: int = 50, split_: Split | None = None
) -> list[dict]:
    """Same rows and order as selectors.unit_ranking."""
    now = now or timezone.now()
    sp = split_ or split(scope, now)
    units = OrgUnit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.DEPARTMENT], is_active=True)
    ids = scope.unit_ids
    if ids is not None:
        units = units.filter(id__in=ids)
    rows = {u.pk: {"unit": u, **dict.fromkeys(RANK_PARTS, 0)} for u in units}
    for piece in sp.live:
        for r in ds.unit_ranking(piece, now=now, limit=None):
            row = rows[r["unit"].pk]
            for k in RANK_PARTS:
                row[k] += r[k]
    if sp.rolled:
        grouped = [
            (
                _days(DailyOrders, sp).filter(lead_unit_id__in=rows).values(u=F("lead_unit_id")),
                {"volume": Sum("received")},
            ),
            (
                _days(DailyCallbacks, sp).filter(rank_unit_id__in=rows).values(u=F("rank_unit_id")),
                {"made": Sum("made"), "solved": Sum("solved"), "satisfied": Sum("satisfied")},
            ),
            (
                _days(DailyDeadlines, sp).filter(stage=Stage.HANDLE, unit_id__in=rows).values(u=F("unit_id")),
                {"due": Sum("due"), "met": Sum("met")},
            ),
        ]
        for qs, sums in grouped:
            for r in qs.annotate(**sums).order_by():
                for k in sums:
                    rows[r["u"]][k] += r[k] or 0
    result = []
    for row in rows.values():
        row["satisfaction"] = ds.Figure("satisfaction", row["satisfied"], row["made"])
        row["resolution"] = ds.Figure("resolution", row["solved"], row["made"])
        row["on_time"] = ds.Figure("on_time", row["met"], row["due"])
        result.append(row)

    def key(row):
        s, o = row["satisfaction"].rate, row["on_time"].rate
        return (s is None, -(s or 0), o is None, -(o or 0), -row["volume"], row["unit"].code)

    return sorted(result, key=key)[:limit]


def category_volumes(
    scope: ds.Scope, *, limit: int = 15, now: datetime | None = None, split_: Split | None = None
) -> list[dict]:
    sp = split_ or split(scope, now or timezone.now())
    counts: dict[int, int] = {}
    for piece in sp.live:
        for r in ds.category_volumes(piece, limit=None):
            counts[r["category_id"]] = counts.get(r["category_id"], 0) + r["n"]
    if sp.rolled:
        for r in (
            _days(DailyCategory, sp)
            .filter(ds._order_q(scope.unit_ids))
            .values("category_id")
            .annotate(n=Sum("received"))
            .order_by()
        ):
            counts[r["category_id"]] = counts.get(r["category_id"], 0) + r["n"]
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    cats = Category.objects.select_related("parent").in_bulk([c for c, _ in top])
    rows = []
    for category_id, n in top:
        cat = cats[category_id]
        rows.append(
            {
                "category_id": category_id,
                "n": n,
                "category__name": cat.name,
                "category__parent__name": cat.parent.name if cat.parent_id else "",
            }
        )
    return rows


def _bucket(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def trend(
    scope: ds.Scope, *, bucket: str = "day", now: datetime | None = None, split_: Split | None = None
) -> list[dict]:
    sp = split_ or split(scope, now or timezone.now())
    buckets: dict[date, dict] = {}
    for piece in sp.live:
        for r in ds.trend(piece, bucket=bucket):
            b = buckets.setdefault(r["bucket"], {"received": 0, "replied": 0})
            b["received"] += r["received"]
            b["replied"] += r["replied"]
    if sp.rolled:
        for r in (
            _days(DailyOrders, sp)
            .filter(ds._order_q(scope.unit_ids))
            .values("day")
            .annotate(received=Sum("received"), replied=Sum("replied"))
            .order_by()
        ):
            b = buckets.setdefault(_bucket(r["day"], bucket), {"received": 0, "replied": 0})
            b["received"] += r["received"]
            b["replied"] += r["replied"]
    return [{"bucket": b, **v} for b, v in sorted(buckets.items())]


def grid_figures(
    scope: ds.Scope, *, now: datetime | None = None, overdue_places: dict | None = None, split_: Split | None = None
) -> dict[int, dict]:
    """Same as selectors.grid_figures. ``overdue_places``: as for summary()."""
    now = now or timezone.now()
    sp = split_ or split(scope, now)
    if overdue_places is None:
        # An empty period: the live selector then returns only the overdue counts (a state).
        out = ds.grid_figures(scope.within(scope.end, scope.end), now=now)
    else:
        out = {}
        for (grid_id, _community_id), n in overdue_places.items():
            if grid_id is not None:
                out.setdefault(grid_id, {"volume": 0, "overdue": 0})["overdue"] += n
    volumes: list[tuple[int, int]] = []
    for piece in sp.live:  # the volumes only: overdue (a state) is counted once, above
        volumes += ds.grid_volumes(piece)
    if sp.rolled:
        volumes += (
            _days(DailyOrders, sp)
            .filter(ds._order_q(scope.unit_ids), grid_id__isnull=False)
            .values("grid_id")
            .annotate(n=Sum("received"))
            .filter(n__gt=0)
            .values_list("grid_id", "n")
            .order_by()
        )
    for grid_id, n in volumes:
        out.setdefault(grid_id, {"volume": 0, "overdue": 0})["volume"] += n
    return out


def hotspots(
    scope: ds.Scope,
    *,
    min_count: int = 3,
    limit: int = 20,
    now: datetime | None = None,
    split_: Split | None = None,
) -> list[dict]:
    """selectors.hotspots' rows: whole rolled weeks from WeeklyPairs, the days around
    them live, the threshold applied to the sums."""
    sp = split_ or split(scope, now or timezone.now())
    weeks = (None, None)
    if sp.rolled:
        first = monday(sp.first) if sp.first.weekday() == 0 else monday(sp.first) + timedelta(days=7)
        weeks = (first, monday(sp.last))
    if weeks[0] is None or weeks[0] >= weeks[1]:
        return ds.hotspots(scope, min_count=min_count, limit=limit)
    counts: dict[tuple[int, int], int] = {}
    pieces = [
        scope.within(scope.start, day_start(weeks[0])),
        scope.within(day_start(weeks[1]), scope.end),
    ]
    for piece in pieces:
        if piece.start < piece.end:
            for r in ds.hotspots(piece, min_count=1, limit=None):
                key = (r["grid_id"], r["category_id"])
                counts[key] = counts.get(key, 0) + r["n"]
    for r in (
        WeeklyPairs.objects.filter(week__gte=weeks[0], week__lt=weeks[1])
        .filter(ds._order_q(scope.unit_ids))
        .values("grid_id", "category_id")
        .annotate(n=Sum("received"))
        .order_by()
    ):
        key = (r["grid_id"], r["category_id"])
        counts[key] = counts.get(key, 0) + r["n"]
    top = sorted(((k, n) for k, n in counts.items() if n >= min_count), key=lambda kv: (-kv[1], kv[0]))[:limit]
    grids = OrgUnit.objects.select_related("parent").in_bulk({g for (g, _), _ in top})
    cats = Category.objects.in_bulk({c for (_, c), _ in top})
    rows = []
    for (grid_id, category_id), n in top:
        grid = grids[grid_id]
        rows.append(
            {
                "grid_id": grid_id,
                "category_id": category_id,
                "n": n,
                "grid__name": grid.name,
                "community__name": grid.parent.name if grid.parent_id else "",
                "category__name": cats[category_id].name,
            }
        )
    return rows


def board(scope: ds.Scope, *, bucket: str = "day", now: datetime | None = None) -> dict:
    """selectors.board's figures, from the roll-up where it reaches, and the overdue
    orders per place (``overdue_places``) for the page's sub-units
    (breakdown.sub_unit_ranking)."""
    now = now or timezone.now()
    late = ds.overdue_places(scope, now)
    sp = split(scope, now)  # the roll-up's state, read once for every figure
    return {
        "summary": summary(scope, now=now, overdue_places=late, split_=sp),
        "ranking": unit_ranking(scope, now=now, split_=sp),
        "categories": category_volumes(scope, now=now, split_=sp),
        "trend": trend(scope, bucket=bucket, now=now, split_=sp),
        "grids": grid_figures(scope, now=now, overdue_places=late, split_=sp),
        "hotspots": hotspots(scope, now=now, split_=sp),
        "overdue_places": late,
        "computed_at": now,
    }


def board_cached(scope: ds.Scope, *, bucket: str = "day", seconds: int | None = None) -> dict:
    """``board()`` through Django's cache for a short while (HOTLINE_DASHBOARD_CACHE_SECONDS,
    default 120 s): a supervisor's page is opened by many people for the same scope and
    period, and the figures are aggregates over up to millions of rows. The page shows
    when they were computed. 0 disables the cache."""
    if seconds is None:
        seconds = settings.HOTLINE_DASHBOARD_CACHE_SECONDS
    if not seconds:
        return board(scope, bucket=bucket)
    key = "dash:{}:{}:{}:{}".format(
        scope.unit.pk if scope.unit else "all", scope.start.isoformat(), scope.end.isoformat(), bucket
    )
    data = cache.get(key)
    if data is None:
        data = board(scope, bucket=bucket)
        cache.set(key, data, seconds)
    return data
