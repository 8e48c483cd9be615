"""Scores and rankings under a scheme, and the what-if of two schemes side by side."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone

from dashboards.selectors import Figure
from governance.figures import assessed_figures
from governance.models import NEGATIVE_INDICATORS, Appeal, Exclusion, Indicator, Period, Scheme
from grids.models import OrgUnit


@dataclass
class ScoreRow:
    unit: OrgUnit
    figures: dict[str, Figure]
    score: float | None
    rank: int | None = None


def score_of(figures: dict[str, Figure], weights: dict[str, float]) -> float | None:
    """Weighted mean of the indicators that have data, on 0–100; a unit is not punished
    nor rewarded for an indicator with nothing to measure (its weight is shared out)."""
    total = weighted = 0.0
    for indicator, weight in weights.items():
        fig = figures.get(indicator)
        if not weight or fig is None or fig.rate is None:
            continue
        value = 1 - fig.rate if indicator in NEGATIVE_INDICATORS else fig.rate
        weighted += float(weight) * value * 100
        total += float(weight)
    return round(weighted / total, 2) if total else None


def rank(rows: list[ScoreRow]) -> list[ScoreRow]:
    """Highest score first; equal scores share a rank; units without data last, unranked."""
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0), r.unit.code))
    previous, position = None, 0
    for i, row in enumerate(rows, start=1):
        if row.score is None:
            row.rank = None
            continue
        if row.score != previous:
            position, previous = i, row.score
        row.rank = position
    return rows


def ranking(
    *, scheme: Scheme, start: datetime, end: datetime, now: datetime | None = None, figures: dict | None = None
) -> list[ScoreRow]:
    now = now or timezone.now()
    if figures is None:
        figures = assessed_figures(start=start, end=end, kind=scheme.unit_kind, now=now)
    units = OrgUnit.objects.in_bulk(list(figures))
    return rank([ScoreRow(units[u], figs, score_of(figs, scheme.weights)) for u, figs in figures.items()])


def _decisions_stamp() -> str:
    """Changes whenever a decision changes what is left out of the figures."""
    parts = []
    for model in (Exclusion, Appeal):
        agg = model.objects.aggregate(n=Count("id"), last=Max("decided_at"))
        parts.append(f"{agg['n']}-{agg['last'].timestamp() if agg['last'] else 0}")
    return ":".join(parts)


def figures_cached(
    *, start: datetime, end: datetime, kind: str, now: datetime | None = None, located: set[int] | None = None
) -> dict:
    """assessed_figures() (unit_figures' figures, from the roll-up where it reaches)
    through the cache for HOTLINE_DASHBOARD_CACHE_SECONDS (as the
    dashboard's board): the score page, its click-through and the what-if re-ranking of
    the same period then share one computation over up to millions of rows. A decision
    on an exclusion or an appeal changes the key, so an upheld appeal shows at once."""
    now = now or timezone.now()
    seconds = settings.HOTLINE_DASHBOARD_CACHE_SECONDS
    if not seconds:
        return assessed_figures(start=start, end=end, kind=kind, now=now, located=located)
    where = "all" if located is None else ",".join(str(i) for i in sorted(located))
    where = where if len(where) < 80 else hashlib.sha1(where.encode()).hexdigest()
    key = f"gov:fig:{kind}:{where}:{start.isoformat()}:{end.isoformat()}:{_decisions_stamp()}"
    figures = cache.get(key)
    if figures is None:
        figures = assessed_figures(start=start, end=end, kind=kind, now=now, located=located)
        cache.set(key, figures, seconds)
    return figures


def compare(
    *, a: Scheme, b: Scheme, start: datetime, end: datetime, now: datetime | None = None, cached: bool = False
) -> list[dict]:
    """What-if: the same period ranked under two schemes. For schemes of one unit kind
    the figures are computed once and only re-weighted."""
    now = now or timezone.now()
    compute = figures_cached if cached else assessed_figures
    figs_a = compute(start=start, end=end, kind=a.unit_kind, now=now)
    figs_b = figs_a if b.unit_kind == a.unit_kind else compute(start=start, end=end, kind=b.unit_kind, now=now)
    rows_b = {r.unit.pk: r for r in ranking(scheme=b, start=start, end=end, now=now, figures=figs_b)}
    out = []
    for ra in ranking(scheme=a, start=start, end=end, now=now, figures=figs_a):
        rb = rows_b.pop(ra.unit.pk, None)
        out.append({"unit": ra.unit, "a": ra, "b": rb, "shift": _shift(ra, rb)})
    out.extend({"unit": rb.unit, "a": None, "b": rb, "shift": None} for rb in rows_b.values())
    return out


def _shift(ra: ScoreRow, rb: ScoreRow | None) -> int | None:
    if rb is None or ra.rank is None or rb.rank is None:
        return None
    return ra.rank - rb.rank  # positive: the unit climbs under scheme B


def period_bounds(period: str, day: date) -> tuple[datetime, datetime]:
    """The period (month or quarter) containing ``day``, as local-time datetimes [start, end)."""
    month = day.month if period == Period.MONTH else 3 * ((day.month - 1) // 3) + 1
    first = date(day.year, month, 1)
    months = 1 if period == Period.MONTH else 3
    y, m = divmod(first.month - 1 + months, 12)
    after = date(first.year + y, m + 1, 1)
    tz = timezone.get_current_timezone()
    return datetime.combine(first, time(), tzinfo=tz), datetime.combine(after, time(), tzinfo=tz)


def previous_period(period: str, today: date) -> tuple[datetime, datetime]:
    start, _end = period_bounds(period, today)
    return period_bounds(period, (start - timedelta(days=1)).date())


INDICATORS = list(Indicator)
