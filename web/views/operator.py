"""Operator console (话务员): call intake, public submissions, callbacks."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.locate import locate
from grids.models import Role
from web.actions import ACTIONS
from web.forms import IntakeForm, minor_categories
from web.helpers import apply_errors, role_required
from workorders.choices import TERMINAL_STATUSES, Status
from workorders.errors import WorkflowError
from workorders.models import WorkOrder
from workorders.services import work_order_answer_now, work_order_log_call

REPEAT_WINDOW = timedelta(days=30)


@role_required(Role.OPERATOR)
def console(request: HttpRequest) -> HttpResponse:
    """Intake. On any error the same page comes back with everything typed still there."""
    form = IntakeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                with transaction.atomic():
                    order = work_order_log_call(
                        actor=request.user,
                        caller_phone=d["caller_phone"],
                        caller_name=d["caller_name"],
                        caller_confidential=d["caller_confidential"],
                        title=d["title"],
                        description=d["description"],
                        category=d["category"],
                        address=d["address"],
                        lat=d["lat"],
                        lng=d["lng"],
                        urgency=d["urgency"],
                        request_type=d["request_type"],
                        # Answered on the call: closed at once, never routed.
                        auto_dispatch=not d["answer_now"],
                    )
                    if d["answer_now"]:
                        order = work_order_answer_now(order=order, actor=request.user, answer=d["answer"])
            except WorkflowError as exc:
                apply_errors(form, exc)
            else:
                if d["answer_now"]:
                    msg = _("已登记并即时办结：%(n)s") % {"n": order.number}
                else:
                    msg = _("已登记：%(n)s（查询码 %(c)s）") % {"n": order.number, "c": order.tracking_code}
                messages.success(request, msg)
                return redirect("web:ops")
        status = 400
    recent = WorkOrder.objects.filter(created_by=request.user).select_related("category").order_by("-created_at")[:8]
    return render(request, "web/ops/console.html", {"form": form, "recent": recent}, status=status)


@role_required(Role.OPERATOR)
def caller_history(request: HttpRequest) -> HttpResponse:
    """htmx: the caller's earlier orders, and whether they are a repeat caller."""
    phone = (request.GET.get("caller_phone") or "").strip()
    orders = []
    repeat = 0
    if len(phone) >= 7:
        qs = WorkOrder.objects.filter(caller_phone=phone).select_related("category").order_by("-created_at")
        orders = list(qs[:10])
        repeat = qs.filter(created_at__gte=timezone.now() - REPEAT_WINDOW).count()
    return render(request, "web/ops/_caller_history.html", {"phone": phone, "orders": orders, "repeat": repeat})


def suggest_categories(text: str, query: str = "", limit: int = 8) -> list:
    """Categories whose keywords occur in the description (Chinese has no spaces, so
    each keyword is looked for as a substring), then those matching the search box."""
    text = text or ""
    query = (query or "").strip()
    scored = []
    for cat in minor_categories():
        words = [w for w in (cat.keywords or "").split() if w]
        hits = sum(1 for w in words if w in text) + (2 if cat.name in text else 0)
        if query and (
            query in cat.name or query in cat.code or query in (cat.keywords or "") or query in cat.parent.name
        ):
            hits += 3
        if hits:
            scored.append((-hits, cat.code, cat))
    return [cat for _, _, cat in sorted(scored)[:limit]]


@role_required(Role.OPERATOR)
def category_suggest(request: HttpRequest) -> HttpResponse:
    cats = suggest_categories(request.GET.get("description", ""), request.GET.get("q", ""))
    return render(request, "web/ops/_category_suggest.html", {"categories": cats})


@role_required(Role.OPERATOR, Role.GRID_WORKER, Role.DISPATCHER)
def locate_hint(request: HttpRequest) -> HttpResponse:
    def num(name):
        try:
            return float(request.GET.get(name, ""))
        except ValueError:
            return None

    lat, lng = num("lat"), num("lng")
    address = request.GET.get("address", "")
    where = None
    try:
        where = locate(lat=lat, lng=lng, address=address) if (address.strip() or lat is not None) else None
    except ValueError:
        where = None
    return render(request, "web/ops/_locate.html", {"where": where, "asked": bool(address.strip() or lat)})


def likely_duplicates(order: WorkOrder, limit: int = 5) -> list[WorkOrder]:
    """Same place (grid, else community) and category, in the last 30 days, still alive."""
    place = Q(grid_id=order.grid_id) if order.grid_id else Q(community_id=order.community_id)
    if not (order.grid_id or order.community_id):
        place = Q(address=order.address) if order.address else Q(pk__in=[])
    qs = WorkOrder.objects.filter(place, created_at__gte=order.created_at - REPEAT_WINDOW).exclude(pk=order.pk)
    qs = qs.exclude(status__in=[Status.MERGED, Status.REJECTED])
    if order.category_id:
        qs = qs.filter(category_id=order.category_id)
    return list(qs.order_by("-created_at")[:limit])


@role_required(Role.OPERATOR)
def submissions(request: HttpRequest) -> HttpResponse:
    rows = []
    qs = (
        WorkOrder.objects.filter(status=Status.SUBMITTED)
        .select_related("category", "community", "grid")
        .order_by("created_at")
    )
    for order in qs[:30]:
        # Row-specific ids keep labels pointing at their own row's fields.
        kw = {"order": order, "initial": {"expected_version": order.version}}
        row = {"order": order, "duplicates": likely_duplicates(order)}
        for key in ("accept", "reject", "merge"):  # each form its own ids: all three have a note
            row[key] = ACTIONS[key].form(**kw, auto_id=f"o{order.pk}{key}_%s")
        rows.append(row)
    return render(request, "web/ops/submissions.html", {"rows": rows, "total": qs.count()})


@role_required(Role.OPERATOR)
def callbacks(request: HttpRequest) -> HttpResponse:
    qs = (
        WorkOrder.objects.filter(status=Status.CALLBACK)
        .select_related("category", "lead_unit")
        .order_by("due_at", "created_at")
    )
    rows = [
        {
            "order": o,
            "form": ACTIONS["callback"].form(order=o, initial={"expected_version": o.version}, auto_id=f"o{o.pk}_%s"),
        }
        for o in qs[:30]
    ]
    return render(request, "web/ops/callbacks.html", {"rows": rows, "total": qs.count(), "terminal": TERMINAL_STATUSES})
