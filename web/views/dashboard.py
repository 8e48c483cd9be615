"""Supervisor dashboard (督办/领导), the orders behind each figure, and the ledger export."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Count, Value, Window
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dashboards import rolled
from dashboards import selectors as ds
from dashboards.breakdown import category_rates_cached, sort_rows, sub_unit_ranking_cached
from dashboards.compare import comparisons
from dispatch.selectors import FAR_FUTURE
from grids.models import OrgUnit, Role, UnitKind
from grids.polygons import Shape
from grids.selectors import memberships_of, sees_everything
from web.ledger import LedgerTitle, ledger_response
from web.lights import attach_warn_at
from workorders.choices import Status
from workorders.models import WorkOrder
from workorders.selectors import work_orders_visible_to
from workorders.transitions import ACTIVE

SUPERVISING = (Role.SUPERVISOR, Role.ADMIN)


def scope_units(user) -> list[OrgUnit]:
    """Units the user may choose as scope: the whole tree for the center, else their own
    supervised units and what lies below them."""
    if sees_everything(user):
        return list(OrgUnit.objects.filter(kind__in=[UnitKind.CENTER, UnitKind.STREET, UnitKind.DEPARTMENT]))
    own = [m.unit for m in memberships_of(user) if m.role in SUPERVISING]
    out = []
    for unit in own:
        out.extend(
            OrgUnit.objects.filter(
                path__startswith=unit.path, kind__in=[UnitKind.STREET, UnitKind.DEPARTMENT, UnitKind.COMMUNITY]
            )
        )
    return out


def _date(value: str | None, default):
    try:
        return datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return default


def parse_scope(request: HttpRequest) -> tuple[ds.Scope, dict]:
    """Period and unit from the query string; a unit the user may not supervise is 404."""
    user = request.user
    units = scope_units(user)
    if not units:
        raise Http404
    today = timezone.localdate()
    start = _date(request.GET.get("start"), today - timedelta(days=29))
    end = _date(request.GET.get("end"), today)
    if end < start:
        start, end = end, start
    unit_id = request.GET.get("unit") or ""
    by_id = {str(u.pk): u for u in units}
    if unit_id:
        if unit_id not in by_id:
            raise Http404
        unit = by_id[unit_id]
    else:
        unit = None if sees_everything(user) else units[0]
    tz = timezone.get_current_timezone()
    scope = ds.Scope(
        start=datetime.combine(start, time.min, tzinfo=tz),
        end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
        unit=unit,
    )
    params = {"start": start.isoformat(), "end": end.isoformat()}
    if unit is not None:
        params["unit"] = str(unit.pk)
    return scope, {"params": params, "units": units, "unit": unit, "start": start, "end": end}


def _drill(params: dict, figure: str, part: str) -> str:
    return reverse("web:orders") + "?" + urlencode({**params, "figure": figure, "part": part})


def grid_map(scope: ds.Scope, figures: dict, measure: str, width: int = 640, height: int = 420) -> dict:
    """The grids as SVG paths from our own GeoJSON boundaries, shaded by ``measure``."""
    grids = OrgUnit.objects.filter(kind=UnitKind.GRID, is_active=True).exclude(boundary=None)
    ids = scope.unit_ids
    if ids is not None:
        grids = grids.filter(id__in=ids)
    shapes = []
    for grid in grids:
        try:  # plain-Python rings (grids.polygons): the page needs no shapely or NumPy
            geom = Shape.from_geojson(grid.boundary)
        except ValueError:
            continue
        shapes.append((grid, geom))
    if not shapes:
        return {"paths": [], "width": width, "height": height}
    minx = min(g.bounds[0] for _, g in shapes)
    miny = min(g.bounds[1] for _, g in shapes)
    maxx = max(g.bounds[2] for _, g in shapes)
    maxy = max(g.bounds[3] for _, g in shapes)
    sx = (width - 20) / ((maxx - minx) or 1)
    sy = (height - 20) / ((maxy - miny) or 1)
    s = min(sx, sy)
    height = int((maxy - miny) * s + 20)  # fit the drawing, not the box
    width = int((maxx - minx) * s + 20)
    top = max((f.get(measure, 0) for f in figures.values()), default=0)
    paths = []
    places: dict[int, dict] = {}  # community id -> its grids' extent on the drawing
    for grid, geom in shapes:
        d = " ".join(
            "M" + " L".join(f"{10 + (x - minx) * s:.1f},{10 + (maxy - y) * s:.1f}" for x, y in rings[0]) + " Z"
            for rings in geom.polygons
        )
        value = figures.get(grid.pk, {}).get(measure, 0)
        # Five steps of one hue, by share of the busiest grid (0 stays grey).
        shade = 0 if not value or not top else 1 + min(4, int(4 * value / top))
        cx, cy = geom.centroid()
        paths.append(
            {
                "grid": grid,
                "d": d,
                "value": value,
                "shade": shade,
                "cx": f"{10 + (cx - minx) * s:.1f}",
                "cy": f"{10 + (maxy - cy) * s + 8:.1f}",
            }
        )
        box = places.setdefault(grid.parent_id, {"x0": geom.bounds[0], "x1": geom.bounds[2], "y1": geom.bounds[3]})
        box["x0"], box["x1"] = min(box["x0"], geom.bounds[0]), max(box["x1"], geom.bounds[2])
        box["y1"] = max(box["y1"], geom.bounds[3])
    # Grid names are too long to fit a grid on a district map; each community's name is
    # written once along the top of its grids, the grids carry their figure.
    names = OrgUnit.objects.in_bulk([pk for pk in places if pk])
    labels = [
        {
            "name": names[pk].name,
            "x": f"{10 + ((box['x0'] + box['x1']) / 2 - minx) * s:.1f}",
            "y": f"{10 + (maxy - box['y1']) * s + 15:.1f}",
        }
        for pk, box in places.items()
        if pk in names
    ]
    return {"paths": paths, "labels": labels, "width": width, "height": height, "top": top}


# What the ranking tables can be sorted by; the page says which one is in force.
RANK_SORTS = {
    "satisfaction": _("满意率"),
    "resolution": _("解决率"),
    "on_time": _("按时办结率"),
    "volume": _("主办量"),
}
SUB_SORTS = {
    "satisfaction": _("满意率"),
    "resolution": _("解决率"),
    "volume": _("辖区受理量"),
    "overdue": _("当前超时"),
}


def _sort_url(params: dict, bucket: str, measure: str, sort: str) -> str:
    return "?" + urlencode({**params, "bucket": bucket, "measure": measure, "sort": sort}) + "#ranking"


def dashboard(request: HttpRequest) -> HttpResponse:
    from care.selectors import overdue_visits

    scope, ctx = parse_scope(request)
    params = ctx["params"]
    bucket = request.GET.get("bucket", "day")
    if bucket not in ds.TRUNC:
        bucket = "day"
    data = rolled.board_cached(scope, bucket=bucket)
    figures = data["summary"]
    cards = []
    for key in ["response", "resolution", "satisfaction", "on_time", "reopen"]:
        fig = figures[key]
        cards.append(
            {"key": key, "fig": fig, "num_url": _drill(params, key, "num"), "all_url": _drill(params, key, "all")}
        )
    trend = [dict(t) for t in data["trend"]]  # copies: the cached rows stay as they were
    top = max((max(t["received"], t["replied"]) for t in trend), default=0) or 1
    for t in trend:
        t["received_pct"] = round(100 * t["received"] / top)
        t["replied_pct"] = round(100 * t["replied"] / top)
    measure = request.GET.get("measure", "volume")
    if measure not in {"volume", "overdue"}:
        measure = "volume"
    sub = sub_unit_ranking_cached(scope, volume=figures["volume"].numerator)
    sortable = SUB_SORTS if sub else RANK_SORTS
    sort = request.GET.get("sort", "")
    if sort not in sortable:
        sort = "satisfaction"
    if sub:
        sub["rows"] = sort_rows(sub["rows"], sort)
    ranking = data["ranking"] if sort == "satisfaction" else sort_rows(list(data["ranking"]), sort)
    categories = [dict(c) for c in data["categories"]]
    rates = category_rates_cached(scope, [c["category_id"] for c in categories])
    for c in categories:
        c.update(rates.get(c["category_id"], {}))
    return render(
        request,
        "web/dashboard.html",
        {
            **ctx,
            "cards": cards,
            "figures": figures,
            "volume_url": _drill(params, "volume", "all"),
            "overdue_url": _drill(params, "overdue", "all"),
            "handling_url": _drill(params, "handling", "all"),
            "proactive_url": _drill(params, "proactive", "all"),
            # 未诉先办's overdue visits (care app): a state now, like the overdue orders.
            "care_overdue": overdue_visits(scope.unit_ids, timezone.localdate()),
            "direct_urls": {
                "num": _drill(params, "direct_answer", "num"),
                "all": _drill(params, "direct_answer", "all"),
                "kb": _drill(params, "kb_answer", "num"),
            },
            "ranking": ranking,
            "sub": sub,
            "sort": sort,
            "sorts": [(key, label, _sort_url(params, bucket, measure, key)) for key, label in sortable.items()],
            "compare": comparisons(scope, figures),
            "categories": categories,
            "trend": trend,
            "bucket": bucket,
            "map": grid_map(scope, data["grids"], measure),
            "measure": measure,
            "hotspots": data["hotspots"],
            "computed_at": data["computed_at"],
            "orders_url": reverse("web:orders") + "?" + urlencode(params),
        },
    )


FIGURE_LABELS = {
    "response": _("响应率"),
    "resolution": _("解决率"),
    "satisfaction": _("满意率"),
    "on_time": _("按时办结率"),
    "reopen": _("重办率"),
    "volume": _("受理量"),
    "overdue": _("超时工单"),
    "handling": _("已答复工单"),
    "direct_answer": _("直接答复率"),
    "kb_answer": _("按知识库答复"),
    "proactive": _("未诉先办"),
}


# What a rate counts, named on its list (the figure's unit is not the order). By figure,
# then part ("num", "all"); figures that count orders are absent.
_SIGN, _HANDLE = pgettext_lazy("rate counts", "签收时限"), pgettext_lazy("rate counts", "办理时限")
_CALLBACK, _ANSWER = pgettext_lazy("rate counts", "回访"), pgettext_lazy("rate counts", "直接答复")
_CALL = pgettext_lazy("rate counts", "来电登记")
COUNTED_UNITS = {
    "response": (_SIGN, _SIGN),
    "on_time": (_HANDLE, _HANDLE),
    "resolution": (_CALLBACK, _CALLBACK),
    "satisfaction": (_CALLBACK, _CALLBACK),
    "reopen": (_CALLBACK, _CALLBACK),
    "direct_answer": (_ANSWER, _CALL),
    "kb_answer": (_ANSWER, _ANSWER),
}


def _counted(request: HttpRequest, qs, figure: str, part: str, rows: list) -> dict:
    """For a rate: how many of the rows it counts (deadlines, callbacks, events) belong
    to the listed orders, and each shown order's share, so that the list adds up to
    the figure. Nothing for figures that count orders."""
    if figure not in COUNTED_UNITS:
        return {}
    scope, _ctx = parse_scope(request)
    counted = ds.figure_rows(scope, figure, part).filter(order_id__in=qs.values("pk"))
    per_order = dict(
        counted.filter(order_id__in=[o.pk for o in rows])
        .order_by()
        .values("order_id")
        .annotate(n=Count("id"))
        .values_list("order_id", "n")
    )
    for order in rows:
        order.counted = per_order.get(order.pk, 0)
    return {"counted": counted.count(), "counted_unit": COUNTED_UNITS[figure][0 if part == "num" else 1]}


def _filtered_orders(request: HttpRequest):
    scope, ctx = parse_scope(request)
    figure = request.GET.get("figure", "volume")
    if figure not in FIGURE_LABELS:
        figure = "volume"
    part = "num" if request.GET.get("part") == "num" else "all"
    qs = ds.orders_behind(scope, figure, part)
    # Whatever the figure, only orders this user may see.
    if not sees_everything(request.user):
        qs = qs.filter(pk__in=work_orders_visible_to(request.user).values("pk"))
    for field in ("category", "grid", "lead_unit", "community"):
        value = request.GET.get(field, "")
        if value.isdigit():
            qs = qs.filter(**{f"{field}_id": int(value)})
    status = request.GET.get("status", "")
    if status:
        qs = qs.filter(status=status)
    return qs, figure, part, ctx


PAGE_ROWS = 200  # the list shows the first rows; the export has them all


def _first_rows(qs) -> tuple[list, int]:
    """The first PAGE_ROWS orders by deadline, and how many there are in all.

    One query sorts ids and sort keys alone and counts the whole set in the same pass
    (COUNT(*) OVER (): the top-N sort reads every row anyway); only the winners are then
    loaded with their joins. Behind a month's satisfaction figure lie ~67,000 orders at
    a million: joining units and categories to all of them before the sort, and a
    separate COUNT walking them again, cost most of the page's time."""
    # Sorted on an expression, not by_deadline's plain columns: the count reads every row
    # anyway, and a plain ORDER BY due_at lets PostgreSQL walk workorder_due_created
    # (the whole history, oldest deadline first) hoping to meet the few overdue orders
    # early: 1.4 s at a million orders instead of 0.1 s.
    due = Coalesce("due_at", Value(FAR_FUTURE))
    head = list(
        qs.order_by(due, "created_at").annotate(total=Window(Count("pk"))).values_list("pk", "total")[:PAGE_ROWS]
    )
    rows = WorkOrder.objects.select_related("category", "lead_unit", "current_unit", "grid").in_bulk(
        [pk for pk, _ in head]
    )
    return [rows[pk] for pk, _ in head], head[0][1] if head else 0


def orders(request: HttpRequest) -> HttpResponse:
    qs, figure, part, ctx = _filtered_orders(request)
    export_url = reverse("web:orders_export") + "?" + request.GET.urlencode()
    rows, total = _first_rows(qs)
    return render(
        request,
        "web/orders.html",
        {
            **ctx,
            **_counted(request, qs, figure, part, rows),
            "orders": attach_warn_at(rows),
            "total": total,
            "figure_label": FIGURE_LABELS[figure],
            "part": part,
            "export_url": export_url,
            "now": timezone.now(),
            "urgeable": sorted(ACTIVE - {Status.ACCEPTED}),
        },
    )


def orders_export(request: HttpRequest) -> HttpResponse:
    qs, figure, part, ctx = _filtered_orders(request)
    name = f"ledger-{ctx['start']:%Y%m%d}-{ctx['end']:%Y%m%d}-{figure}.xlsx"
    user = request.user
    title = LedgerTitle(
        figure=str(FIGURE_LABELS[figure]),
        scope=ctx["unit"].name if ctx["unit"] is not None else "",
        start=ctx["start"],
        end=ctx["end"],
        exported_by=user.get_full_name() or user.get_username(),
        exported_at=timezone.now(),
    )
    return ledger_response(qs.order_by("created_at"), filename=name, title=title)
