"""Context for the headline figures: the same figures for the previous period of equal
length (环比) and for the same dates a year earlier (同比), and the district's targets.

The comparisons are the roll-up-backed summary (dashboards.rolled.summary) over shifted
scopes, so a compared figure has exactly the definition of the figure beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

from dashboards import selectors as ds
from dashboards.rolled import summary

# The assessment targets the supervisors are measured against (the district's 12345
# 考核 rules: response and on-time 95%, resolution 85%, satisfaction 90%, reopen at most
# 5%). Kept here, beside the figures they judge; a scheme editable per unit type is
# the governance work of DESIGN.md, not this page's.
TARGETS = {"response": 0.95, "resolution": 0.85, "satisfaction": 0.90, "on_time": 0.95, "reopen": 0.05}
LOWER_IS_BETTER = {"reopen"}
RATES = ("response", "resolution", "satisfaction", "on_time", "reopen")
COUNTS = ("volume",)


@dataclass(frozen=True)
class Change:
    """How a figure moved against an earlier period. Rates move in percentage points,
    counts in percent; ``better`` says whether the move is good news (None: no change
    or nothing to compare with)."""

    text: str
    better: bool | None
    rise: bool | None = None  # the figure went up (▲) or down (▼); None: unchanged

    @property
    def css(self) -> str:
        """Arrow by direction, colour by whether that is good news (a falling reopen rate is)."""
        parts = [
            {True: "rise", False: "fall"}.get(self.rise, ""),
            {True: "better", False: "worse"}.get(self.better, ""),
        ]
        return " ".join(p for p in parts if p)


def _year_earlier(dt: datetime) -> datetime:
    try:
        return dt.replace(year=dt.year - 1)
    except ValueError:  # 29 February
        return dt.replace(year=dt.year - 1, day=28)


def previous_period(scope: ds.Scope) -> ds.Scope:
    return scope.within(scope.start - (scope.end - scope.start), scope.start)


def same_period_last_year(scope: ds.Scope) -> ds.Scope:
    return scope.within(_year_earlier(scope.start), _year_earlier(scope.end))


def summary_cached(scope: ds.Scope) -> dict[str, ds.Figure]:
    """The headline figures (rates and volume: all a comparison reads) of an earlier period."""
    seconds = settings.HOTLINE_DASHBOARD_CACHE_SECONDS
    if not seconds:
        return summary(scope, headline_only=True)
    key = "dash-head:{}:{}:{}".format(
        scope.unit.pk if scope.unit else "all", scope.start.isoformat(), scope.end.isoformat()
    )
    data = cache.get(key)
    if data is None:
        data = summary(scope, headline_only=True)
        cache.set(key, data, seconds)
    return data


def change(key: str, now: ds.Figure, then: ds.Figure) -> Change | None:
    """``now`` against ``then``; None when the earlier period has nothing to compare."""
    lower_better = key in LOWER_IS_BETTER
    if key in COUNTS:
        if not then.numerator:
            return None
        delta = (now.numerator - then.numerator) / then.numerator * 100
        return Change(f"{delta:+.0f}%", None, delta > 0 if delta else None)  # more calls: neither good nor bad news
    if now.rate is None or then.rate is None:
        return None
    points = (now.rate - then.rate) * 100
    if abs(points) < 0.05:
        return Change("±0.0", None)
    return Change(f"{points:+.1f}", (points < 0) if lower_better else (points > 0), points > 0)


def meets_target(key: str, figure: ds.Figure) -> bool | None:
    target = TARGETS.get(key)
    if target is None or figure.rate is None:
        return None
    return figure.rate <= target if key in LOWER_IS_BETTER else figure.rate >= target


def comparisons(scope: ds.Scope, figures: dict[str, ds.Figure]) -> dict[str, dict]:
    """Per headline figure: 环比 and 同比 changes and the target, for the page's cards."""
    earlier = summary_cached(previous_period(scope))
    last_year = summary_cached(same_period_last_year(scope))
    out = {}
    for key in RATES + COUNTS:
        out[key] = {
            "mom": change(key, figures[key], earlier[key]),
            "yoy": change(key, figures[key], last_year[key]),
            "target": TARGETS.get(key),
            "target_percent": f"{TARGETS[key] * 100:.0f}%" if key in TARGETS else "",
            "meets": meets_target(key, figures[key]),
            "lower_is_better": key in LOWER_IS_BETTER,
        }
    return out
