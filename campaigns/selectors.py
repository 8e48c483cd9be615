"""Campaign progress, read from the rows the dashboard reads.

"Counts for a unit" is ``workorders.scope.territory_q`` (led by the unit's subtree or
located in it), "overdue" is ``dashboards.selectors.overdue_deadlines`` (an open deadline
past due now) and "closed" is the status the workflow writes. Each figure is one
aggregate over those rows; the list behind a figure is the same queryset unaggregated,
and both are cut to ``workorders.scope`` for the viewer, so a number always equals the
length of its list."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from campaigns.filters import saved_filter_apply
from campaigns.models import Campaign, Target
from dashboards import selectors as ds
from grids.models import OrgUnit
from grids.selectors import memberships_of, sees_everything, unit_subtree_ids
from workorders.choices import TERMINAL_STATUSES, DeadlineState, Status
from workorders.models import Category, Deadline, WorkOrder
from workorders.scope import orders_q, territory_q

PARTS = ("scope", "closed", "open", "overdue")
# Rejected and merged orders are nobody's work: they neither count towards nor against a target.
_NOT_WORK = (Status.REJECTED, Status.MERGED)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def campaign_orders(
    *, campaign: Campaign, unit_ids: set[int] | None, now: datetime, category_ids: list[int] | None = None
) -> QuerySet[WorkOrder]:
    """Orders in the campaign's scope that count for ``unit_ids`` (None: the whole scope).

    In scope: created before the end date is over, not already closed when the campaign
    began, in one of its categories (a major category takes its minor ones) if any are
    named, matching its saved filter if it has one, and with ``overdue_only`` an order
    that has been overdue: a deadline breached, or open past due now. (Breached rows
    stay in scope once closed, so closing an overdue order moves it from "open" to
    "closed" instead of out of the board.)"""
    qs = WorkOrder.objects.filter(created_at__lt=_day_start(campaign.ends_on + timedelta(days=1))).exclude(
        status__in=_NOT_WORK
    )
    qs = qs.exclude(closed_at__lt=_day_start(campaign.starts_on))
    if unit_ids is not None:
        qs = qs.filter(territory_q(unit_ids))
    if category_ids is None:
        category_ids = list(campaign.categories.values_list("pk", flat=True))
    if category_ids:
        # A major category stands for its minor ones: the ids themselves, not a join to
        # the category table, so the orders are read through (category, closed_at)
        # (workorder_category_closed): the campaign's categories, running or closed
        # since it began, rather than every order of the scope's history. Those keys are
        # read first (ds.KeyIn) and the rest of the scope is a filter on them: as plain
        # conditions PostgreSQL also intersected the unit's territory as bitmaps of the
        # lead-unit and street indexes, which hold every order the streets ever had
        # (2 × 195,000 entries at a million orders: 30 of the board's 50 ms).
        minors = Category.objects.filter(parent_id__in=category_ids).values_list("pk", flat=True)
        candidates = (
            WorkOrder.objects.filter(category_id__in={*category_ids, *minors})
            .exclude(closed_at__lt=_day_start(campaign.starts_on))
            .order_by()
            .values("pk")
        )
        qs = qs.filter(ds.KeyIn(F("pk"), Subquery(candidates)))
    if campaign.saved_filter_id is not None:
        # No viewer: a saved text search counts by the redacted text only, so a unit's
        # figures never count orders by a resident's name it may not read.
        qs = saved_filter_apply(saved=campaign.saved_filter, qs=qs, user=None)
    if campaign.overdue_only:
        late = Deadline.objects.filter(order=OuterRef("pk")).filter(
            Q(state=DeadlineState.BREACHED) | Q(state=DeadlineState.OPEN, due_at__lt=now)
        )
        qs = qs.filter(Exists(late))
    return qs


def _overdue_now(now: datetime) -> QuerySet[Deadline]:
    # The dashboard's definition, for the whole district; the campaign's scope cuts it.
    return ds.overdue_deadlines(ds.Scope(start=now, end=now, unit=None), now)


def part_filter(part: str, now: datetime) -> Q:
    """The condition behind each column of the board."""
    return {
        "scope": Q(),
        "closed": Q(status=Status.CLOSED),
        "open": ~Q(status__in=TERMINAL_STATUSES),
        "overdue": Q(pk__in=_overdue_now(now).values("order_id")),
    }[part]


def visible_to(qs: QuerySet[WorkOrder], user: AbstractBaseUser) -> QuerySet[WorkOrder]:
    q = orders_q(user)
    return qs if q is None else qs.filter(q)


def campaign_units_for(*, campaign: Campaign, user: AbstractBaseUser) -> list[OrgUnit]:
    """The campaign's units whose row the user may see: all of them for the center, else
    those lying in the subtree of one of the user's own units (a unit sees its own rows)."""
    units = list(campaign.units.order_by("path"))
    if sees_everything(user):
        return units
    paths = [m.unit.path for m in memberships_of(user)]
    return [u for u in units if any(u.path.startswith(p) for p in paths)]


def campaigns_visible_to(user: AbstractBaseUser) -> QuerySet[Campaign]:
    """The center sees every campaign; a unit sees the campaigns with a row of its own."""
    if sees_everything(user):
        return Campaign.objects.all()
    q = Q(pk__in=[])
    for m in memberships_of(user):
        q |= Q(units__path__startswith=m.unit.path)
    return Campaign.objects.filter(q).distinct()


@dataclass
class Row:
    unit: OrgUnit | None  # None: the total over the rows shown
    scope: int
    closed: int
    open: int
    overdue: int
    target: int | None  # orders to close for this row; None when the target is campaign-wide

    @property
    def cells(self) -> list[tuple[int, str]]:
        return [(self.scope, "scope"), (self.closed, "closed"), (self.open, "open"), (self.overdue, "overdue")]

    @property
    def percent(self) -> float | None:
        if not self.target:
            return None
        return min(100.0, self.closed * 100 / self.target)


def _row(qs: QuerySet[WorkOrder], unit: OrgUnit | None, campaign: Campaign, now: datetime) -> Row:
    agg = qs.aggregate(**{p: Count("pk", filter=part_filter(p, now)) for p in PARTS})
    if campaign.target == Target.CLOSE_ALL:
        target = agg["scope"]
    else:
        # A count target belongs to the campaign as a whole; a unit's row shows its share of it.
        target = campaign.target_count
    return Row(unit, agg["scope"], agg["closed"], agg["open"], agg["overdue"], target)


def row_unit_ids(*, campaign: Campaign, user: AbstractBaseUser, unit_id: int | None) -> set[int] | None:
    """The unit ids a row (or, ``unit_id`` None, the total) counts for; LookupError when
    the user may not see that row. None: the whole district (a campaign without units,
    seen by the center)."""
    units = campaign_units_for(campaign=campaign, user=user)
    if unit_id is not None:
        unit = next((u for u in units if u.pk == unit_id), None)
        if unit is None:
            raise LookupError(unit_id)
        return unit_subtree_ids(unit)
    if not campaign.units.exists() and sees_everything(user):
        return None
    if not units:
        raise LookupError(unit_id)
    ids: set[int] = set()
    for unit in units:
        ids |= unit_subtree_ids(unit)
    return ids


def campaign_board(*, campaign: Campaign, user: AbstractBaseUser, now: datetime | None = None) -> dict:
    """One row per campaign unit the user may see and a total row, each figure counted
    over orders the user may open. Units are few (a campaign names streets or
    departments), so one aggregate per row is simpler than a grouped query that would
    have to map each order to the campaign unit whose subtree holds it: 2 queries a row
    (its subtree, its aggregate) and 4 more."""
    now = now or timezone.now()
    category_ids = list(campaign.categories.values_list("pk", flat=True))
    units = campaign_units_for(campaign=campaign, user=user)

    def row(unit: OrgUnit | None, ids: set[int] | None) -> Row:
        qs = campaign_orders(campaign=campaign, unit_ids=ids, now=now, category_ids=category_ids)
        return _row(visible_to(qs, user), unit, campaign, now)

    rows, total_ids = [], set()
    for unit in units:
        ids = unit_subtree_ids(unit)
        total_ids |= ids
        rows.append(row(unit, ids))
    if len(units) == 1:
        # One unit (a campaign of one street): the total is its row, not a second
        # identical aggregate over the same orders.
        total = replace(rows[0], unit=None)
    elif units:
        total = row(None, total_ids)
    elif sees_everything(user):  # a campaign without units: the whole district, for the center
        total = row(None, None)
    else:
        total = None
    today = timezone.localdate(now)
    return {
        "campaign": campaign,
        "rows": rows,
        "total": total,
        "days_left": max(0, (campaign.ends_on - today).days + 1) if today >= campaign.starts_on else None,
        "ended": today > campaign.ends_on,
        "computed_at": now,
    }


def campaign_part_orders(
    *, campaign: Campaign, user: AbstractBaseUser, unit_id: int | None, part: str, now: datetime | None = None
) -> QuerySet[WorkOrder]:
    """The orders behind one number of the board (LookupError for a row the user may not see)."""
    now = now or timezone.now()
    if part not in PARTS:
        raise LookupError(part)
    ids = row_unit_ids(campaign=campaign, user=user, unit_id=unit_id)
    qs = visible_to(campaign_orders(campaign=campaign, unit_ids=ids, now=now), user)
    return qs.filter(part_filter(part, now))
