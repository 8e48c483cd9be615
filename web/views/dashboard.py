"""Supervisor dashboard (督办/领导), the orders behind each figure, and the ledger export."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from dashboards import rolled
from dashboards import selectors as ds
from dashboards.breakdown import category_rates_cached, sort_rows, sub_unit_ranking_cached
from dashboards.compare import comparisons
from grids.models import OrgUnit, Role, UnitKind
from grids.polygons import Shape
from grids.selectors import memberships_of, sees_everything
from web import exports
from web.ledger import XLSX, LedgerTitle, ledger_response
from web.models import ExportState, LedgerExport
from web.order_list import order_page
from workorders.choices import Status
from workorders.models import WorkOrder
from workorders.selectors import work_orders_visible_to
from workorders.transitions import ACTIVE

SUPERVISING = (Role.SUPERVISOR, Role.ADMIN)
WAITING = (ExportState.PENDING, ExportState.RUNNING)


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
    return scope_of(request.user, request.GET)


def scope_of(user, params: QueryDict) -> tuple[ds.Scope, dict]:
    """parse_scope for ``user`` and query ``params`` (a worker writing a ledger export
    reads the list's query again, with the asker's rights)."""
    units = scope_units(user)
    if not units:
        raise Http404
    today = timezone.localdate()
    start = _date(params.get("start"), today - timedelta(days=29))
    end = _date(params.get("end"), today)
    if end < start:
        start, end = end, start
    unit_id = params.get("unit") or ""
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
    # The board's overdue orders per place (absent from a board cached before it had them).
    sub = sub_unit_ranking_cached(scope, volume=figures["volume"].numerator, overdue_places=data.get("overdue_places"))
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


def _counted(
    scope: ds.Scope, qs, figure: str, part: str, rows: list, *, narrowed: bool, page_counted: int | None = None
) -> dict:
    """For a rate: how many of the rows it counts (deadlines, callbacks, events) belong
    to the listed orders, and each shown order's share, so that the list adds up to
    the figure. Nothing for figures that count orders. Unless the list is ``narrowed``
    (a filter, or a viewer who may not open every order), every counted row's order is
    listed by definition: the rows are counted alone, not matched against the orders
    (``page_counted``: already counted with the page, web.order_list._keyed_page)."""
    if figure not in COUNTED_UNITS:
        # The row's "counted n times" reads the attribute: a missing one makes the
        # template engine list the order's attributes (dir()) on every row.
        for order in rows:
            order.counted = 0
        return {}
    counted = ds.figure_rows(scope, figure, part)
    if narrowed:
        counted = counted.filter(order_id__in=qs.values("pk"))
    per_order = dict(
        counted.filter(order_id__in=[o.pk for o in rows])
        .order_by()
        .values("order_id")
        .annotate(n=Count("id"))
        .values_list("order_id", "n")
    )
    for order in rows:
        order.counted = per_order.get(order.pk, 0)
    total = counted.count() if page_counted is None or narrowed else page_counted
    return {"counted": total, "counted_unit": COUNTED_UNITS[figure][0 if part == "num" else 1]}


def orders_asked(user, params: QueryDict) -> tuple[QuerySet[WorkOrder], str, str, ds.Scope, dict]:
    """The orders behind a figure that ``params`` (the list's query string) ask for, of
    those ``user`` may see: (orders, figure, part, scope, page context)."""
    scope, ctx = scope_of(user, params)
    figure = params.get("figure", "volume")
    if figure not in FIGURE_LABELS:
        figure = "volume"
    part = "num" if params.get("part") == "num" else "all"
    qs = ds.orders_behind(scope, figure, part)
    narrowed = False  # the list is the figure's whole set
    # Whatever the figure, only orders this user may see.
    if not sees_everything(user):
        qs = qs.filter(pk__in=work_orders_visible_to(user).values("pk"))
        narrowed = True
    for field in ("category", "grid", "lead_unit", "community"):
        value = params.get(field, "")
        if value.isdigit():
            qs = qs.filter(**{f"{field}_id": int(value)})
            narrowed = True
    status = params.get("status", "")
    if status:
        qs = qs.filter(status=status)
        narrowed = True
    return qs, figure, part, scope, {**ctx, "narrowed": narrowed}


def orders(request: HttpRequest) -> HttpResponse:
    qs, figure, part, scope, ctx = orders_asked(request.user, request.GET)
    query = request.GET.copy()
    query.pop("page", None)  # the export has every order, not one page
    export_url = reverse("web:orders_export") + "?" + query.urlencode()
    # A period's volume is read from workorder_due_created page by page (the running
    # orders first, then the closed by receipt) and counted up to a cap. Any other figure's
    # orders (a rate's, the overdue ids, the replied) are read whole and sorted: in
    # deadline order PostgreSQL would walk the index through the whole history for them.
    # A rate's whole set (nothing narrowing it) is read from its counted rows in one query
    # with both counts (web.order_list._keyed_page); narrowed by a filter or the viewer's
    # scope, whose conditions PostgreSQL could prefer to the keys, it is planned on its
    # own behind a materialized CTE.
    rated = figure in COUNTED_UNITS
    keyed = rated and not ctx["narrowed"]
    page = order_page(
        request,
        qs,
        whole=figure != "volume",
        materialized=rated and ctx["narrowed"],
        keys=ds.figure_rows(scope, figure, part) if keyed else None,
    )
    return render(
        request,
        "web/orders.html",
        {
            **ctx,
            **_counted(scope, qs, figure, part, page.orders, narrowed=ctx["narrowed"], page_counted=page.keys_counted),
            "page": page,
            "orders": page.orders,
            "total": page.total,
            "figure_label": FIGURE_LABELS[figure],
            "part": part,
            "export_url": export_url,
            "urgeable": sorted(ACTIVE - {Status.ACCEPTED}),
        },
    )


def ledger_asked(user, params: QueryDict) -> tuple[QuerySet[WorkOrder], str, LedgerTitle]:
    """The ledger that an order list's query string asks for, as ``user`` may read it:
    (orders by receipt, file name, title rows)."""
    qs, figure, part, _scope, ctx = orders_asked(user, params)
    name = f"ledger-{ctx['start']:%Y%m%d}-{ctx['end']:%Y%m%d}-{figure}.xlsx"
    title = LedgerTitle(
        figure=str(FIGURE_LABELS[figure]),
        scope=ctx["unit"].name if ctx["unit"] is not None else "",
        start=ctx["start"],
        end=ctx["end"],
        exported_by=user.get_full_name() or user.get_username(),
        exported_at=timezone.now(),
    )
    return qs.order_by("created_at"), name, title


@require_POST
def orders_export(request: HttpRequest) -> HttpResponse:
    """A small ledger as a file at once; a larger one is written by a worker and the
    asker sent to its page (web/exports.py). A POST (the list's form, with its CSRF
    token; the filters stay in the query string): asking may create an export job, and a
    GET must change nothing — a link prefetcher, a crawler or a reload would start one."""
    qs, name, title = ledger_asked(request.user, request.GET)
    if qs.order_by()[: exports.INLINE_ROWS + 1].count() <= exports.INLINE_ROWS:
        return ledger_response(qs, filename=name, title=title)
    query = request.GET.copy()
    query.pop("page", None)
    export = exports.ledger_export_request(
        owner=request.user, query=query.urlencode(), language=translation.get_language() or ""
    )
    return redirect("web:ledger_export", pk=export.pk)


def ledger_export(request: HttpRequest, pk: int) -> HttpResponse:
    """An export's page: waiting (the page refreshes itself), ready, or failed."""
    export = get_object_or_404(exports.ledger_exports_of(request.user), pk=pk)
    return render(
        request,
        "web/ledger_export.html",
        {"export": export, "waiting": export.state in WAITING, "keep_hours": exports.KEEP_HOURS},
    )


def ledger_export_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The export's file, for its asker only."""
    export = get_object_or_404(
        LedgerExport.objects.filter(owner=request.user, state=ExportState.READY).only("content", "filename"), pk=pk
    )
    response = HttpResponse(bytes(export.content or b""), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response
