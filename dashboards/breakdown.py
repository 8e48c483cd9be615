"""Breakdowns beside the board: a street's (or community's) own sub-units, and rates per
category. Both use the click-through definitions of dashboards.selectors, so each row
opens to exactly the orders it counts. The sub-units are a live GROUP BY over one
scope's callbacks and orders (a street's month is thousands of rows, not millions); the
rates per category read the roll-up's callbacks by category for the rolled days and
only the rest (today) live (category_rates_rolled; category_rates is the reference).

- Sub-units are ranked by territory: the orders *located* in the community (or grid),
  received in the period; callbacks of those orders made in the period; their open
  deadlines past due now. What the scope counts but no sub-unit holds (orders led by
  the street but not located in one of its communities) is returned as ``rest``, so the
  rows add up to the headline volume on the same screen.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone

from dashboards import rolled
from dashboards import selectors as ds
from dashboards.models import DailyCallbacks
from grids.models import OrgUnit, UnitKind

# Scope unit kind → (kind of the sub-units ranked, the order field that places an order in one)
SUB_UNITS = {UnitKind.STREET: (UnitKind.COMMUNITY, "community"), UnitKind.COMMUNITY: (UnitKind.GRID, "grid")}


def _callback_parts():
    return {
        "made": Count("id"),
        "solved": Count("id", filter=Q(payload__resolution="solved")),
        "satisfied": Count("id", filter=Q(payload__satisfaction__in=list(ds.SATISFIED))),
    }


def sub_unit_field(scope: ds.Scope) -> str | None:
    """The order field sub-units are told apart by, or None when the scope has none."""
    if scope.unit is None or scope.unit.kind not in SUB_UNITS:
        return None
    return SUB_UNITS[scope.unit.kind][1]


def sub_unit_ranking(
    scope: ds.Scope, *, volume: int, now: datetime | None = None, overdue_places: dict | None = None
) -> dict | None:
    """The scope unit's communities (or grids) with volume, 解决率, 满意率 and overdue now.
    ``volume`` is the headline figure they must add up to (with ``rest``).
    ``overdue_places``: selectors.overdue_places(scope, now), when the board has read
    it (rolled.board), instead of reading the overdue orders again."""
    field = sub_unit_field(scope)
    if field is None:
        return None
    now = now or timezone.now()
    kind = SUB_UNITS[scope.unit.kind][0]
    units = OrgUnit.objects.filter(parent=scope.unit, kind=kind, is_active=True).order_by("code")
    rows = {u.pk: {"unit": u, "volume": 0, "made": 0, "solved": 0, "satisfied": 0, "overdue": 0} for u in units}
    orders = ds.scoped_orders(scope).filter(created_at__gte=scope.start, created_at__lt=scope.end)
    for r in orders.filter(**{f"{field}_id__in": rows}).values(f"{field}_id").annotate(n=Count("id")).order_by():
        rows[r[f"{field}_id"]]["volume"] = r["n"]
    events = ds.callback_events(scope).filter(**{f"order__{field}_id__in": rows})
    for r in events.values(f"order__{field}_id").annotate(**_callback_parts()).order_by():
        rows[r[f"order__{field}_id"]].update(made=r["made"], solved=r["solved"], satisfied=r["satisfied"])
    if overdue_places is not None:
        for (grid_id, community_id), n in overdue_places.items():
            place = grid_id if field == "grid" else community_id
            if place in rows:
                rows[place]["overdue"] += n
    else:
        late = ds.overdue_deadlines(scope, now).filter(**{f"order__{field}_id__in": rows})
        for r in late.values(f"order__{field}_id").annotate(n=Count("order_id", distinct=True)).order_by():
            rows[r[f"order__{field}_id"]]["overdue"] = r["n"]
    result = []
    for row in rows.values():
        row["resolution"] = ds.Figure("resolution", row["solved"], row["made"])
        row["satisfaction"] = ds.Figure("satisfaction", row["satisfied"], row["made"])
        result.append(row)
    return {"field": field, "rows": result, "rest": max(0, volume - sum(r["volume"] for r in result))}


def category_rates(scope: ds.Scope, category_ids: list[int]) -> dict[int, dict[str, ds.Figure]]:
    """解决率 and 满意率 per category, from the period's callbacks (as the headline rates)."""
    out = {}
    events = ds.callback_events(scope).filter(order__category_id__in=category_ids)
    for r in events.values("order__category_id").annotate(**_callback_parts()).order_by():
        out[r["order__category_id"]] = {
            "resolution": ds.Figure("resolution", r["solved"], r["made"]),
            "satisfaction": ds.Figure("satisfaction", r["satisfied"], r["made"]),
        }
    return out


def category_rates_rolled(
    scope: ds.Scope, category_ids: list[int], *, now: datetime | None = None
) -> dict[int, dict[str, ds.Figure]]:
    """category_rates' figures, from the roll-up where it reaches (DailyCallbacks by the
    order's current category, kept exact as the board's rows are) and live for the
    pieces around it (today). Live, a month's callbacks joined with their orders were
    most of the uncached dashboard's time at a million orders (BENCHMARKS.md)."""
    sp = rolled.split(scope, now or timezone.now())
    parts: dict[int, list[int]] = {}
    for piece in sp.live:
        for category_id, figures in category_rates(piece, category_ids).items():
            p = parts.setdefault(category_id, [0, 0, 0])
            p[0] += figures["resolution"].denominator
            p[1] += figures["resolution"].numerator
            p[2] += figures["satisfaction"].numerator
    if sp.rolled:
        for r in (
            DailyCallbacks.objects.filter(day__gte=sp.first, day__lt=sp.last, category_id__in=category_ids)
            .filter(ds._order_q(scope.unit_ids))
            .values("category_id")
            .annotate(made=Sum("made"), solved=Sum("solved"), satisfied=Sum("satisfied"))
            .order_by()
        ):
            p = parts.setdefault(r["category_id"], [0, 0, 0])
            p[0] += r["made"]
            p[1] += r["solved"]
            p[2] += r["satisfied"]
    # As the live GROUP BY: a category appears when the period has a callback of it.
    return {
        category_id: {
            "resolution": ds.Figure("resolution", solved, made),
            "satisfaction": ds.Figure("satisfaction", satisfied, made),
        }
        for category_id, (made, solved, satisfied) in parts.items()
        if made
    }


SORTS = {
    "satisfaction": lambda row: (row["satisfaction"].rate is None, -(row["satisfaction"].rate or 0)),
    "resolution": lambda row: (row["resolution"].rate is None, -(row["resolution"].rate or 0)),
    "on_time": lambda row: (row["on_time"].rate is None, -(row["on_time"].rate or 0)),
    "volume": lambda row: (-row["volume"],),
    "overdue": lambda row: (-row.get("overdue", 0),),
}


def sort_rows(rows: list[dict], key: str) -> list[dict]:
    """Rows best first by ``key`` (ties keep their previous order: the board's own)."""
    if key not in SORTS:
        return rows
    return sorted(rows, key=SORTS[key])


def _scope_key(prefix: str, scope: ds.Scope, *extra) -> str:
    unit = scope.unit.pk if scope.unit else "all"
    return ":".join([prefix, str(unit), scope.start.isoformat(), scope.end.isoformat(), *map(str, extra)])


def _through_cache(key: str, compute):
    """``compute()`` cached as the board is (HOTLINE_DASHBOARD_CACHE_SECONDS; 0: always
    computed). The sub-units' live GROUP BYs read a month of a street's callbacks; without
    this every view of a cached board paid for them again (issue 14: most of the
    dashboard's time as deployed)."""
    seconds = settings.HOTLINE_DASHBOARD_CACHE_SECONDS
    if not seconds:
        return compute()
    data = cache.get(key)
    if data is None:
        data = compute()
        cache.set(key, data, seconds)
    return data


def category_rates_cached(scope: ds.Scope, category_ids: list[int]) -> dict[int, dict[str, ds.Figure]]:
    key = _scope_key("dash-catrates", scope, ",".join(map(str, sorted(category_ids))))
    return _through_cache(key, lambda: category_rates_rolled(scope, category_ids))


def sub_unit_ranking_cached(scope: ds.Scope, *, volume: int, overdue_places: dict | None = None) -> dict | None:
    return _through_cache(
        _scope_key("dash-sub", scope, volume),
        lambda: sub_unit_ranking(scope, volume=volume, overdue_places=overdue_places),
    )
