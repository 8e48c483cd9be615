"""/care/: 未诉先办 pages. The grid worker's phone list of visits due, a resident's
record with the visit form, a proactive order raised from a visit, and the overdue
counts per grid for the community, the street and the center.

Pages only parse input and call care.services; which residents a user sees, and how
much of them, is care.selectors'. Every page that shows a resident in full logs it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from care import services
from care.forms import CorrectForm, OrderForm, ResidentForm, VisitForm
from care.models import Access, KeyResident, Kind, Visit
from care.selectors import (
    due_state,
    is_center,
    overdue_by_grid,
    own_grid_ids,
    reads_in_full,
    resident_card,
    residents_visible_to,
    visible_grid_ids,
)
from grids.models import OrgUnit, Role, UnitKind
from web.helpers import apply_errors, role_required
from workorders.errors import WorkflowError

LIST_LIMIT = 200  # a grid keeps tens of residents; a street's overdue list is cut here
FILTERS = ("due", "overdue", "all")


# Any staff role (what each sees is the selectors' business); a user of no unit — a
# 楼长's light account — has no care page at all (404, like any staff page).
member_required = role_required(*Role.values)


def _visible(request, pk: int):
    """The resident if the user may see them at all, else 404."""
    if visible_grid_ids(request.user) == set():
        raise Http404
    return get_object_or_404(residents_visible_to(request.user), pk=pk)


@member_required
def residents(request):
    """The list. ``show``: due (today and overdue, the phone page's default), overdue,
    all; ``grid`` narrows a street's or the center's list to one grid."""
    # A unit without grids (a department, a property company) has no one here: the
    # navigation offers the page by role, so it says so rather than answering 404.
    today = timezone.localdate()
    show = request.GET.get("show") or "due"
    if show not in FILTERS:
        show = "due"
    qs = residents_visible_to(request.user).filter(active=True)
    grid = request.GET.get("grid") or ""
    if grid.isdigit():
        qs = qs.filter(grid_id=int(grid))
    if show == "due":
        qs = qs.filter(next_due__lte=today)
    elif show == "overdue":
        qs = qs.filter(next_due__lt=today)
    page = list(qs.order_by("next_due", "grid__name", "pk")[:LIST_LIMIT])
    full = {r.pk for r in services.resident_read_log(residents=page, actor=request.user, action=Access.LIST)}
    rows = [
        {
            "r": r,
            "card": resident_card(r, full=r.pk in full),
            "state": due_state(r, today),
            "late_days": (today - r.next_due).days,
        }
        for r in page
    ]
    own = own_grid_ids(request.user)
    context = {
        "rows": rows,
        "show": show,
        "grid": grid,
        "today": today,
        "limit": LIST_LIMIT,
        "counts": overdue_by_grid(request.user, today) if len(own) != 1 or is_center(request.user) else [],
        "may_add": bool(own) or is_center(request.user),
    }
    return render(request, "care/residents.html", context)


def _resident_page(request, resident, *, visit_form=None, status=200):
    today = timezone.localdate()
    full = reads_in_full(request.user, resident)
    if full:
        services.resident_read_log(residents=[resident], actor=request.user, action=Access.VIEW)
    may_visit = resident.grid_id in own_grid_ids(request.user)
    # Masked readers see when visits happened and how they went, never the notes.
    visits = list(resident.visits.select_related("by", "order")[:50])
    context = {
        "r": resident,
        "card": resident_card(resident, full=full),
        "state": due_state(resident, today),
        "late_days": (today - resident.next_due).days,
        "interval": services.interval_days(resident.kind),
        "visits": visits,
        "may_visit": may_visit and resident.active,
        "may_edit": full and (may_visit or is_center(request.user)),
        "may_correct": full and (may_visit or is_center(request.user)) and resident.anonymised_at is None,
        "form": visit_form or VisitForm(),
        # Who read this record in full: the center answers for it, so the center sees it.
        "accesses": _accesses(resident) if is_center(request.user) else [],
    }
    return render(request, "care/resident.html", context, status=status)


def _accesses(resident):
    rows = list(resident.accesses.select_related("actor", "unit")[:20])
    for a in rows:  # a correction names the fields it changed, shown by their labels
        a.fields = [str(KeyResident._meta.get_field(f).verbose_name) for f in a.fields]
    return rows


@member_required
def resident(request, pk: int):
    r = _visible(request, pk)
    if request.method != "POST":
        return _resident_page(request, r)
    form = VisitForm(request.POST)
    if form.is_valid():
        try:
            services.visit_record(
                resident=r, actor=request.user, outcome=form.cleaned_data["outcome"], notes=form.cleaned_data["notes"]
            )
        except WorkflowError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("走访已记录。"))
            return redirect("care:resident", pk=r.pk)
    return _resident_page(request, r, visit_form=form, status=400)


@member_required
@require_POST
def resident_active(request, pk: int):
    """移出/恢复在册 (the grid's own staff or the center)."""
    r = _visible(request, pk)
    try:
        services.resident_set_active(resident=r, actor=request.user, active=request.POST.get("active") == "1")
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已更新在册状态。"))
    return redirect("care:resident", pk=r.pk)


@member_required
def visit_order(request, pk: int):
    """未诉先办: raise an order from a visit (the grid's own staff, once per visit)."""
    visit = get_object_or_404(Visit.objects.select_related("resident__grid", "order"), pk=pk)
    r = _visible(request, visit.resident_id)
    if r.grid_id not in own_grid_ids(request.user):
        raise Http404
    form = OrderForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                order = services.visit_order_create(
                    visit=visit,
                    actor=request.user,
                    description=d["description"],
                    category=d["category"],
                    urgency=d["urgency"],
                    photo=d["photo"],
                )
            except WorkflowError as exc:
                apply_errors(form, exc)
                status = 409 if exc.code == "conflict" else 400
            else:
                messages.success(request, _("已生成未诉先办工单 %(n)s。") % {"n": order.number})
                return redirect("care:resident", pk=r.pk)
    services.resident_read_log(residents=[r], actor=request.user, action=Access.VIEW)
    context = {"visit": visit, "r": r, "card": resident_card(r, full=True), "form": form}
    return render(request, "care/order.html", context, status=status)


def _add_grids(user):
    if is_center(user):
        return OrgUnit.objects.filter(kind=UnitKind.GRID, is_active=True).select_related("parent").order_by("path")
    return OrgUnit.objects.filter(pk__in=own_grid_ids(user), is_active=True).select_related("parent")


@member_required
def add(request):
    grids = list(_add_grids(request.user))
    if not grids:
        raise Http404
    form = ResidentForm(request.POST or None, grids=grids)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                r = services.resident_add(
                    actor=request.user,
                    grid=next((g for g in grids if str(g.pk) == d["grid"]), None),
                    kind=d["kind"],
                    name=d["name"],
                    phone=d["phone"],
                    address=d["address"],
                    notes=d["notes"],
                )
            except WorkflowError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已登记。"))
                return redirect("care:resident", pk=r.pk)
    return render(request, "care/add.html", {"form": form, "kinds": Kind}, status=status)


@member_required
def resident_edit(request, pk: int):
    """更正档案: the grid's own staff or the center correct the record; anyone who sees the
    resident only masked (or not at all) gets 404, as for the order page."""
    r = _visible(request, pk)
    if not (is_center(request.user) or r.grid_id in own_grid_ids(request.user)) or r.anonymised_at is not None:
        raise Http404
    initial = {f: getattr(r, f) for f in services.CORRECTABLE}
    form = CorrectForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                changed = services.resident_correct(resident=r, actor=request.user, **form.cleaned_data)
            except WorkflowError as exc:
                apply_errors(form, exc)
                status = 409 if exc.code == "conflict" else 400
            else:
                messages.success(request, _("档案已更正。") if changed else _("没有需要更正的内容。"))
                return redirect("care:resident", pk=r.pk)
    else:
        services.resident_read_log(residents=[r], actor=request.user, action=Access.VIEW)
    return render(request, "care/edit.html", {"form": form, "r": r}, status=status)
