"""What a user may publish to, what a screen shows, and which screens went quiet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from dashboards.selectors import Scope, summary
from grids.models import OrgUnit, Role, UnitKind
from grids.selectors import memberships_of
from screens.models import Notice, Screen
from workorders.scope import subtree_ids

PUBLISHING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
# A kiosk polls every minute; ten missed polls means it is off, unplugged or offline.
QUIET_AFTER = timedelta(minutes=10)
FIGURES_SECONDS = 60


def publishable_communities(user: AbstractBaseUser) -> QuerySet[OrgUnit]:
    """Communities ``user`` may publish to: every one for the center's supervisors and
    for admins; for a street's supervisor only the communities in the street's subtree
    (the org tree, through workorders.scope's subtree rule); nothing for anyone else."""
    communities = OrgUnit.objects.filter(kind=UnitKind.COMMUNITY, is_active=True).order_by("path")
    if getattr(user, "is_superuser", False):
        return communities
    ids: set[int] = set()
    for m in memberships_of(user):
        if m.role not in PUBLISHING_ROLES:
            continue
        if m.role == Role.ADMIN or m.unit.kind == UnitKind.CENTER:
            return communities
        if m.unit.kind == UnitKind.STREET:
            ids |= subtree_ids(user, m.unit)
    return communities.filter(pk__in=ids)


def notices_current(*, community: OrgUnit, now: datetime | None = None) -> QuerySet[Notice]:
    """Notices on ``community``'s screens at ``now``: started, not ended, not withdrawn;
    most urgent first, then the newest."""
    now = now or timezone.now()
    return Notice.objects.filter(
        communities=community, starts_at__lte=now, ends_at__gt=now, withdrawn_at__isnull=True
    ).order_by("-priority", "-starts_at", "-pk")


def _month_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def community_month_figures(*, community: OrgUnit, now: datetime | None = None) -> dict[str, dict]:
    """This month's orders, 办结率 and 满意率 for the community: the dashboard's own
    figures (dashboards.selectors.summary), so the screen and the dashboard never
    disagree. Counts and rates only; nothing about any person."""
    now = now or timezone.now()
    key = f"screens:figures:{community.pk}:{_month_start(now):%Y%m}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    figures = summary(Scope(start=_month_start(now), end=now + timedelta(seconds=1), unit=community), now=now)
    out = {}
    for key in ("volume", "resolution", "satisfaction"):
        f = figures[key]
        out[key] = {"n": f.numerator, "of": f.denominator, "percent": f.percent if f.denominator else None}
    # Every screen of a community polls each minute and summary() is several aggregate
    # queries; one computation per community per FIGURES_SECONDS serves them all.
    cache.set(key, out, FIGURES_SECONDS)
    return out


@dataclass(frozen=True)
class ScreenRow:
    screen: Screen
    quiet: bool


def screens_overview(*, user: AbstractBaseUser, now: datetime | None = None) -> list[ScreenRow]:
    """The screens of the communities ``user`` may publish to, with a flag on the
    active ones that have not checked in for QUIET_AFTER (or never did)."""
    now = now or timezone.now()
    screens = Screen.objects.filter(community__in=publishable_communities(user)).select_related("community")
    rows = []
    for s in screens:
        quiet = s.revoked_at is None and (s.last_seen_at is None or now - s.last_seen_at > QUIET_AFTER)
        rows.append(ScreenRow(s, quiet))
    return rows


def notices_published_by(*, user: AbstractBaseUser, limit: int = 30) -> QuerySet[Notice]:
    ids = publishable_communities(user).values("pk")
    return Notice.objects.filter(communities__in=ids).distinct().order_by("-created_at")[:limit]
