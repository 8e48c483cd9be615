"""考核 pages: scores with click-through, what-if, exclusions, appeals, reports, and the
center's return review and 兜底 queue. Views parse input and call governance.services."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from governance import services
from governance.exports import report_pdf, report_xlsx
from governance.figures import LEFT_OUT_NOTE, indicators_for, orders_behind_score
from governance.forms import (
    AppealForm,
    DecideForm,
    ExclusionForm,
    RedispatchForm,
    ReportForm,
    ReturnReviewForm,
)
from governance.models import (
    ASSESSED_KINDS,
    Appeal,
    AppealState,
    Decision,
    Exclusion,
    Indicator,
    Report,
    ReportState,
    Scheme,
)
from governance.scoring import (
    ScoreRow,
    compare,
    figures_cached,
    period_bounds,
    previous_period,
    rank,
    ranking,
)
from grids.models import OrgUnit, Role, UnitKind
from grids.selectors import memberships_of, property_units_serving, sees_everything
from web.helpers import apply_errors, role_required, visible_order
from workorders.choices import DeadlineState, Stage, Status
from workorders.errors import WorkflowError
from workorders.models import Deadline, Event, WorkOrder
from workorders.selectors import work_orders_visible_to

GOVERNING = (Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN, Role.HANDLER)
CENTER_DESK = {Role.SUPERVISOR, Role.DISPATCHER}
governing = role_required(*GOVERNING)


def _is_center(user) -> bool:
    return sees_everything(user)


def _month(request: HttpRequest, period: str) -> tuple[datetime, datetime, str]:
    raw = request.GET.get("month", "")
    try:
        day = datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        start, end = previous_period(period, timezone.localdate())
    else:
        start, end = period_bounds(period, day)
    return start, end, f"{start:%Y-%m}"


def _kind(request: HttpRequest) -> str:
    kind = request.GET.get("kind", UnitKind.STREET)
    return kind if kind in ASSESSED_KINDS else UnitKind.STREET


def _scheme(request: HttpRequest, kind: str, param: str = "scheme") -> Scheme | None:
    pk = request.GET.get(param, "")
    if pk.isdigit():
        return Scheme.objects.filter(pk=int(pk)).first()
    return Scheme.objects.filter(unit_kind=kind, is_active=True).first()


def visible_unit_ids(user, kind: str) -> set[int] | None:
    """Assessed units whose scores the user may read; None: all (the center)."""
    if _is_center(user):
        return None
    ids: set[int] = set()
    for m in memberships_of(user):
        for u in OrgUnit.objects.filter(kind=kind).filter(
            Q(path__startswith=m.unit.path) | Q(pk__in=m.unit.ancestor_ids)
        ):
            ids.add(u.pk)
    return ids


@governing
def index(request: HttpRequest) -> HttpResponse:
    kind = _kind(request)
    scheme = _scheme(request, kind)
    start, end, month = _month(request, scheme.period if scheme else "month")
    now = timezone.now()
    rows = []
    if scheme:
        figures = figures_cached(start=start, end=end, kind=scheme.unit_kind, now=now)
        rows = ranking(scheme=scheme, start=start, end=end, now=now, figures=figures)
    allowed = visible_unit_ids(request.user, kind)
    if allowed is not None:
        rows = [r for r in rows if r.unit.pk in allowed]
    return render(
        request,
        "governance/index.html",
        {
            "kind": kind,
            "kinds": [(k.value, k.label) for k in ASSESSED_KINDS],
            "scheme": scheme,
            "schemes": Scheme.objects.filter(unit_kind=kind),
            "month": month,
            "start": start,
            "end": end,
            "rows": rows,
            "indicators": indicators_for(kind),
            "left_out_note": LEFT_OUT_NOTE,
            "excluded": Exclusion.objects.filter(state=Decision.APPROVED).count(),
            "upheld": Appeal.objects.filter(state=AppealState.UPHELD).count(),
            "overrides": services.push_down_overrides(start=start, end=end).count(),
            "is_center": _is_center(request.user),
        },
    )


@governing
def score_orders(request: HttpRequest) -> HttpResponse:
    """The orders behind one number of the score table, within what the viewer may open."""
    kind = _kind(request)
    scheme = _scheme(request, kind)
    start, end, month = _month(request, scheme.period if scheme else "month")
    indicator, part = request.GET.get("ind", ""), request.GET.get("part", "all")
    if indicator not in Indicator.values or part not in ("num", "all"):
        raise Http404
    raw_unit = request.GET.get("unit", "")
    unit = get_object_or_404(OrgUnit, pk=int(raw_unit) if raw_unit.isdigit() else 0, kind=kind)
    if indicator not in indicators_for(kind):
        raise Http404
    area, located = None, None
    if request.GET.get("area"):
        # The 物业 ranking of a street or community: the company's orders located there.
        area = _area(request, required=True)
        located = _communities(area)
        allowed = property_units_serving(located) | _property_units_below(area)
    else:
        allowed = visible_unit_ids(request.user, kind)
    if allowed is not None and unit.pk not in allowed:
        raise Http404
    qs = orders_behind_score(
        start=start, end=end, unit=unit, indicator=indicator, part=part, now=timezone.now(), located=located
    )
    qs = qs.filter(pk__in=work_orders_visible_to(request.user).values("pk")).order_by("-created_at")
    page = Paginator(qs.select_related("category", "lead_unit"), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/orders.html",
        {
            "unit": unit,
            "area": area,
            "indicator": Indicator(indicator),
            "part": part,
            "month": month,
            "page": page,
            "query": request.GET.copy(),
            "left_out_note": LEFT_OUT_NOTE,
        },
    )


def _areas(user) -> list[OrgUnit]:
    """The streets and communities whose property companies the user may rank: the
    center every one; others those they belong to (a street also its communities)."""
    qs = OrgUnit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.COMMUNITY], is_active=True)
    if _is_center(user):
        return list(qs.order_by("path"))
    q = Q(pk__in=[])
    for m in memberships_of(user):
        if m.unit.kind in (UnitKind.STREET, UnitKind.COMMUNITY):
            q |= Q(path__startswith=m.unit.path)
    return list(qs.filter(q).order_by("path"))


def _area(request: HttpRequest, *, required: bool = False) -> OrgUnit | None:
    """The street or community asked for (``area``), if the user may read it; without
    one, the user's own (the first of theirs), or None for the center (the district)."""
    areas = _areas(request.user)
    raw = request.GET.get("area", "")
    if raw:
        found = next((a for a in areas if raw.isdigit() and a.pk == int(raw)), None)
        if found is None:
            raise Http404
        return found
    if required or not _is_center(request.user):
        if not areas:
            raise Http404
        return areas[0]
    return None


def _communities(area: OrgUnit) -> set[int]:
    qs = OrgUnit.objects.filter(path__startswith=area.path, kind=UnitKind.COMMUNITY)
    return set(qs.values_list("id", flat=True))


def _property_units_below(area: OrgUnit) -> set[int]:
    return set(OrgUnit.objects.filter(path__startswith=area.path, kind=UnitKind.PROPERTY).values_list("id", flat=True))


@governing
def property_ranking(request: HttpRequest) -> HttpResponse:
    """物业考核 for a street or community: the property companies and utilities serving
    it, scored under the scheme in force for them on the orders located there (the
    center: district-wide), each number a link to its orders. Others (a department, a
    company itself) have no area here and are told so; their own rows are on the index."""
    is_center, areas = _is_center(request.user), _areas(request.user)
    scheme = Scheme.objects.filter(unit_kind=UnitKind.PROPERTY, is_active=True).first()
    start, end, month = _month(request, scheme.period if scheme else "month")
    context = {
        "kind": UnitKind.PROPERTY,
        "areas": areas,
        "is_center": is_center,
        "scheme": scheme,
        "month": month,
        "indicators": indicators_for(UnitKind.PROPERTY),
        "left_out_note": LEFT_OUT_NOTE,
    }
    if not is_center and not areas:
        return render(request, "governance/property.html", {**context, "area": None, "rows": [], "no_area": True})
    area = _area(request)
    located = _communities(area) if area is not None else None
    figures = figures_cached(start=start, end=end, kind=UnitKind.PROPERTY, now=timezone.now(), located=located)
    if located is not None:
        serving = property_units_serving(located) | _property_units_below(area)
        figures = {u: f for u, f in figures.items() if u in serving}
    if scheme is not None:
        rows = ranking(scheme=scheme, start=start, end=end, figures=figures)
    else:
        units = OrgUnit.objects.in_bulk(list(figures))
        rows = rank([ScoreRow(units[u], f, None) for u, f in figures.items()])
    return render(request, "governance/property.html", {**context, "area": area, "rows": rows})


@governing
def whatif(request: HttpRequest) -> HttpResponse:
    if not _is_center(request.user):
        raise Http404
    kind = _kind(request)
    a = _scheme(request, kind, "a")
    b = _scheme(request, kind, "b")
    start, end, month = _month(request, a.period if a else "month")
    rows = compare(a=a, b=b, start=start, end=end, cached=True) if a and b else []
    return render(
        request,
        "governance/whatif.html",
        {
            "kind": kind,
            "kinds": [(k.value, k.label) for k in ASSESSED_KINDS],
            "schemes": Scheme.objects.filter(unit_kind=kind),
            "a": a,
            "b": b,
            "month": month,
            "rows": rows,
        },
    )


@governing
def exclusions(request: HttpRequest) -> HttpResponse:
    form = ExclusionForm()
    if request.method == "POST":
        form = ExclusionForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                order = visible_order(request.user, form.cleaned_data["number"].strip())
            except Http404:
                form.add_error("number", _("找不到该工单，或不在您的范围内。"))
            else:
                try:
                    services.exclusion_request(
                        order=order,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        note=form.cleaned_data["note"],
                        files=form.cleaned_data["files"],
                    )
                except WorkflowError as exc:
                    apply_errors(form, exc)
                else:
                    messages.success(request, _("剔除申请已提交，等待中心审核。"))
                    return redirect("governance:exclusions")
    qs = Exclusion.objects.select_related("order", "unit", "requested_by").prefetch_related("evidence")
    qs = qs.filter(order__in=work_orders_visible_to(request.user))
    return render(
        request,
        "governance/exclusions.html",
        {"form": form, "items": qs[:200], "decide": DecideForm(), "is_center": _is_center(request.user)},
    )


@governing
def exclusion_decide(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    ex = get_object_or_404(Exclusion.objects.filter(order__in=work_orders_visible_to(request.user)), pk=pk)
    form = DecideForm(request.POST)
    if form.is_valid():
        try:
            services.exclusion_decide(
                exclusion=ex,
                actor=request.user,
                approve=form.cleaned_data["decision"] == "yes",
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("已审核。"))
        except WorkflowError as exc:
            messages.error(request, "；".join(_flatten(exc)))
    else:
        messages.error(request, _("请选择决定并填写理由。"))
    return redirect("governance:exclusions")


@governing
def appeals(request: HttpRequest) -> HttpResponse:
    qs = Appeal.objects.select_related("order", "unit", "filed_by").filter(
        order__in=work_orders_visible_to(request.user)
    )
    if not _is_center(request.user):
        mine = {m.unit.path for m in memberships_of(request.user)}
        qs = [a for a in qs[:500] if any(a.unit.path.startswith(p) for p in mine)]
    return render(request, "governance/appeals.html", {"items": list(qs)[:200], "is_center": _is_center(request.user)})


def _subjects(order: WorkOrder) -> list[tuple[str, int, str]]:
    """What on this order can be contested: breached stages, bad ratings, returns."""
    out = []
    now = timezone.now()
    for d in Deadline.objects.filter(order=order, stage__in=[Stage.SIGN, Stage.HANDLE]).filter(
        Q(state=DeadlineState.BREACHED) | Q(state=DeadlineState.OPEN, due_at__lt=now)
    ):
        out.append(
            (
                "breach",
                d.pk,
                _("「%(s)s」超时（到期 %(d)s）")
                % {"s": d.get_stage_display(), "d": f"{timezone.localtime(d.due_at):%m-%d %H:%M}"},
            )
        )
    for e in Event.objects.filter(order=order, kind__in=["callback_close", "reopen", "return"]).order_by("seq"):
        if e.kind == "return":
            out.append(("return", e.pk, _("退单（%(t)s）") % {"t": f"{timezone.localtime(e.created_at):%m-%d %H:%M}"}))
        elif e.payload.get("satisfaction") == "unsatisfied" or e.payload.get("resolution") != "solved":
            out.append(
                (
                    "rating",
                    e.pk,
                    _("回访评价：%(s)s（%(t)s）")
                    % {"s": e.payload.get("satisfaction", ""), "t": f"{timezone.localtime(e.created_at):%m-%d %H:%M}"},
                )
            )
    return out


@governing
def appeal_new(request: HttpRequest) -> HttpResponse:
    number = (request.POST.get("number") or request.GET.get("number", "")).strip()
    order = visible_order(request.user, number) if number else None
    subjects = _subjects(order) if order else []
    form = AppealForm(subjects=subjects)
    if request.method == "POST" and order is not None:
        form = AppealForm(request.POST, request.FILES, subjects=subjects)
        if form.is_valid():
            target, subject_id = form.target_and_id()
            try:
                appeal = services.appeal_file(
                    order=order,
                    actor=request.user,
                    target=target,
                    subject_id=subject_id,
                    reason=form.cleaned_data["reason"],
                    files=form.cleaned_data["files"],
                )
            except WorkflowError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("申诉已提交，等待中心裁定。"))
                return redirect("governance:appeal", pk=appeal.pk)
    return render(request, "governance/appeal_new.html", {"order": order, "number": number, "form": form})


@governing
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = get_object_or_404(
        Appeal.objects.select_related("order", "unit", "deadline", "event").filter(
            order__in=work_orders_visible_to(request.user)
        ),
        pk=pk,
    )
    form = DecideForm()
    if request.method == "POST":
        form = DecideForm(request.POST)
        if form.is_valid():
            try:
                services.appeal_decide(
                    appeal=appeal,
                    actor=request.user,
                    uphold=form.cleaned_data["decision"] == "yes",
                    note=form.cleaned_data["note"],
                )
            except WorkflowError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已裁定。"))
                return redirect("governance:appeal", pk=appeal.pk)
    events = Event.objects.filter(
        order=appeal.order, kind__in=["appeal_file", "appeal_uphold", "appeal_dismiss"], payload__appeal=appeal.pk
    ).select_related("actor", "actor_unit")
    return render(
        request,
        "governance/appeal.html",
        {
            "appeal": appeal,
            "form": form,
            "events": events,
            "can_decide": appeal.state == AppealState.PENDING
            and services.center_membership(request.user, CENTER_DESK) is not None,
        },
    )


@governing
def reports(request: HttpRequest) -> HttpResponse:
    is_center = _is_center(request.user)
    form = ReportForm()
    if request.method == "POST":
        form = ReportForm(request.POST)
        raw = request.POST.get("scheme", "")
        scheme = Scheme.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if form.is_valid() and scheme is not None:
            try:
                services.report_draft(
                    scheme=scheme, month=form.cleaned_data["month"], unit=form.cleaned_data["unit"], actor=request.user
                )
            except WorkflowError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("报告草稿已生成，待领导签批。"))
                return redirect("governance:reports")
        elif scheme is None:
            form.add_error(None, _("请选择考核方案。"))
    qs = Report.objects.select_related("scheme", "unit", "signed_by")
    if not is_center:
        qs = qs.filter(state=ReportState.PUBLISHED)
    return render(
        request,
        "governance/reports.html",
        {
            "items": qs[:100],
            "form": form,
            "schemes": Scheme.objects.filter(is_active=True),
            "is_center": is_center,
            "can_sign": services.center_membership(request.user, {Role.SUPERVISOR}) is not None,
        },
    )


def _report_for(request, pk: int) -> Report:
    report = get_object_or_404(Report, pk=pk)
    if report.state != ReportState.PUBLISHED and not _is_center(request.user):
        raise Http404
    return report


@governing
def report_sign(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    try:
        services.report_sign(report=_report_for(request, pk), actor=request.user)
        messages.success(request, _("已签批发布。"))
    except WorkflowError as exc:
        messages.error(request, "；".join(_flatten(exc)))
    return redirect("governance:reports")


@governing
def report_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    report = _report_for(request, pk)
    if fmt == "xlsx":
        body, ctype = report_xlsx(report), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "pdf":
        body, ctype = report_pdf(report), "application/pdf"
    else:
        raise Http404
    response = HttpResponse(body, content_type=ctype)
    name = f"assessment-{report.period_start:%Y%m}-{report.unit_id or 'district'}-v{report.scheme.version}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@governing
def returns(request: HttpRequest) -> HttpResponse:
    """The center's queue: returns to review (with their review deadline) and 兜底 orders."""
    if services.center_membership(request.user, CENTER_DESK) is None:
        raise Http404
    returned = list(
        WorkOrder.objects.filter(status=Status.RETURNED).select_related("category").order_by("due_at", "pk")[:100]
    )
    due = {
        d.order_id: d
        for d in Deadline.objects.filter(order__in=returned, stage=Stage.RETURN_REVIEW, state=DeadlineState.OPEN)
    }
    last_return = {}
    for e in Event.objects.filter(order__in=returned, kind="return").select_related("actor_unit").order_by("seq"):
        last_return[e.order_id] = e
    fallback = list(
        WorkOrder.objects.filter(status=Status.ASSIGNED, current_unit__kind=UnitKind.CENTER)
        .select_related("category")
        .order_by("pk")[:100]
    )
    return render(
        request,
        "governance/returns.html",
        {
            "returned": [
                {"order": o, "deadline": due.get(o.pk), "event": last_return.get(o.pk), "form": ReturnReviewForm()}
                for o in returned
            ],
            "fallback": [{"order": o, "form": RedispatchForm()} for o in fallback],
            "now": timezone.now(),
        },
    )


@governing
def return_decide(request: HttpRequest, number: str) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    order = visible_order(request.user, number)
    form = ReturnReviewForm(request.POST)
    if form.is_valid():
        try:
            services.return_review_decide(
                order=order,
                actor=request.user,
                uphold=form.cleaned_data["decision"] == "upheld",
                unit=form.cleaned_data["unit"],
                reason=form.cleaned_data["reason"],
                override=form.cleaned_data["override"],
            )
            messages.success(request, _("退单审核已记录。"))
        except WorkflowError as exc:
            messages.error(request, "；".join(_flatten(exc)))
    else:
        messages.error(request, "；".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect("governance:returns")


@governing
def redispatch(request: HttpRequest, number: str) -> HttpResponse:
    from workorders.services import work_order_center_redispatch

    if request.method != "POST":
        raise Http404
    order = visible_order(request.user, number)
    form = RedispatchForm(request.POST)
    if form.is_valid():
        try:
            work_order_center_redispatch(
                order=order,
                actor=request.user,
                unit=form.cleaned_data["unit"],
                note=form.cleaned_data["note"],
                override=form.cleaned_data["override"],
            )
            messages.success(request, _("已改派。"))
        except WorkflowError as exc:
            messages.error(request, "；".join(_flatten(exc)))
    else:
        messages.error(request, "；".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect("governance:returns")


def _flatten(exc: WorkflowError) -> list[str]:
    errors = getattr(exc, "errors", None)
    if errors:
        return [m for msgs in errors.values() for m in (msgs if isinstance(msgs, list) else [msgs])]
    return [getattr(exc, "message", str(exc))]
