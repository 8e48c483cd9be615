"""更正分类: a dispatcher corrects an order's category and/or place. The status does not
change; the event records from → to (the dispatch model learns from it), and the open
stage timers are recomputed from when each stage opened, with the new category's limits."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from grids.models import OrgUnit, UnitKind
from workorders import deadlines
from workorders.choices import DeadlineState
from workorders.errors import InvalidInput
from workorders.limits import WorkCalendar, add_limit, warn_time
from workorders.models import Category, Deadline, WorkOrder
from workorders.services._common import OrderRef, _pk
from workorders.workflow import Step, transition


def _place_of(unit: OrgUnit) -> tuple[OrgUnit, OrgUnit | None, OrgUnit | None]:
    """(street, community, grid) of a street, community or grid."""
    if unit.kind == UnitKind.GRID:
        return unit.parent_unit.parent_unit, unit.parent_unit, unit
    if unit.kind == UnitKind.COMMUNITY:
        return unit.parent_unit, unit, None
    if unit.kind == UnitKind.STREET:
        return unit, None, None
    raise InvalidInput({"place": _("位置必须是街道、社区或网格。")})


def _snapshot(o: WorkOrder) -> dict:
    return {
        "category": o.category.code if o.category is not None else None,
        "street": o.street_id,
        "community": o.community_id,
        "grid": o.grid_id,
    }


def _recompute_timers(o: WorkOrder, now: datetime) -> dict:
    """Open deadlines → due times under the order's (new) category; returns stage → due."""
    calendar = WorkCalendar()
    moved = {}
    rows = list(Deadline.objects.filter(order=o, state=DeadlineState.OPEN))
    for d in rows:
        text, _fell_back = deadlines.limit_for(o, d.stage)
        due = add_limit(d.opened_at, text, calendar)
        if due == d.due_at and text == d.limit:
            continue
        d.limit, d.due_at, d.warn_at = text, due, warn_time(d.opened_at, due)
        # A stage the new limit puts back in time is warned/breached again by the scan
        # when it really is late; one still late keeps its marks.
        if d.warn_at > now:
            d.warned_at = None
        if d.due_at > now:
            d.breached_at = None
        d.save(update_fields=["limit", "due_at", "warn_at", "warned_at", "breached_at"])
        moved[d.stage] = due.isoformat()
    o.due_at = min((d.due_at for d in rows), default=None)
    return moved


def work_order_reclassify(
    *,
    order: OrderRef,
    actor: User,
    category: Category | None = None,
    place: OrgUnit | None = None,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Correct the category (an active minor one) and/or the place (a street, community
    or grid) of an active order. At least one of them must change."""

    def change(o: WorkOrder, m, at) -> Step:
        if category is None and place is None:
            raise InvalidInput({"category": _("请选择新的分类或位置。")})
        if category is not None and (not category.is_minor or not category.is_active):
            raise InvalidInput({"category": _("请选择一个启用中的小类。")})
        before = _snapshot(o)
        if category is not None:
            o.category = category
        if place is not None:
            if not place.is_active:
                raise InvalidInput({"place": _("单位「%(u)s」已停用。") % {"u": place.name}})
            o.street, o.community, o.grid = _place_of(place)
        after = _snapshot(o)
        if after == before:
            raise InvalidInput({"category": _("分类和位置都没有变化。")})
        payload = {"from": before, "to": after}
        if after["category"] != before["category"]:
            payload["deadlines"] = _recompute_timers(o, at)
        return Step(payload=payload)

    return transition(
        order=_pk(order),
        kind="reclassify",
        actor=actor,
        change=change,
        note=note,
        expected_version=expected_version,
        now=now,
    )
