"""Operator console (话务员): call intake (public submissions and callbacks: web.views.submissions,
web.views.callbacks)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.gazetteer import address_resolve
from grids.locate import locate_point
from grids.models import OrgUnit, Role, UnitKind
from knowledge.services import work_order_take_call
from triage.services import triage_suggest_categories
from web.forms import IntakeForm
from web.helpers import apply_errors, role_required, visible_order
from workorders.choices import Status
from workorders.errors import WorkflowError
from workorders.models import WorkOrder
from workorders.services import (
    caller_counts,
    work_order_attach_call,
    work_order_find_duplicates,
)

REPEAT_WINDOW = timedelta(days=30)


@role_required(Role.OPERATOR)
def console(request: HttpRequest) -> HttpResponse:
    """Intake. On any error the same page comes back with everything typed still there."""
    form = IntakeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        # --- knowledge base: "按此答复并办结" names the article answered from.
        kb_article = kb_article_from(request)
        if form.is_valid():
            d = form.cleaned_data
            try:
                order = work_order_take_call(
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
                    community=d["community"],
                    answer_now=d["answer_now"],
                    article=kb_article,
                    answer=d["answer"],
                    transferred_from=d["transferred_from"],
                    transfer_reference=d["transfer_reference"],
                )
            except WorkflowError as exc:
                apply_errors(form, exc)
            else:
                if order.status == Status.CLOSED:
                    msg = _("已登记并即时办结：%(n)s") % {"n": order.number}
                else:
                    msg = _("已登记：%(n)s（查询码 %(c)s）") % {"n": order.number, "c": order.tracking_code}
                messages.success(request, msg)
                return redirect("web:ops")
        status = 400
    recent = WorkOrder.objects.filter(created_by=request.user).select_related("category").order_by("-created_at")[:8]
    return render(request, "web/ops/console.html", {"form": form, "recent": recent}, status=status)


def kb_article_from(request: HttpRequest) -> str | None:
    """The knowledge-base article the answer comes from: the panel's button or its hidden
    field (set by "编辑后答复"); validated by knowledge.services.article_answer_now."""
    ids = [v for v in request.POST.getlist("kb_article") if v.strip()]
    return ids[-1].strip() if ids else None


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


@role_required(Role.OPERATOR, Role.GRID_WORKER, Role.DISPATCHER)
def category_suggest(request: HttpRequest) -> HttpResponse:
    cats = triage_suggest_categories(
        text=request.GET.get("description", ""), query=request.GET.get("q", ""), title=request.GET.get("title", "")
    )
    return render(request, "web/ops/_category_suggest.html", {"categories": cats})


@role_required(Role.OPERATOR, Role.GRID_WORKER, Role.DISPATCHER)
def locate_hint(request: HttpRequest) -> HttpResponse:
    """htmx: where the position or the address puts the order, how sure, and why."""

    def num(name):
        try:
            return float(request.GET.get(name, ""))
        except ValueError:
            return None

    lat, lng = num("lat"), num("lng")
    address = request.GET.get("address", "")[:255]
    where = resolution = None
    if lat is not None and lng is not None:
        try:
            where = locate_point(lat, lng)
        except ValueError:
            where = None
    if where is None and address.strip():
        resolution = address_resolve(address)
    context = {"where": where, "resolution": resolution, "asked": bool(address.strip() or lat is not None)}
    return render(request, "web/ops/_locate.html", context)


def _intake_place(request: HttpRequest) -> dict:
    """The place fields of the console's form, as the duplicate search takes them."""
    community = None
    raw = request.GET.get("community") or ""
    if raw.isdigit():
        community = OrgUnit.objects.filter(pk=int(raw), kind=UnitKind.COMMUNITY).select_related("parent").first()
    return {"address": request.GET.get("address", "")[:255], "community": community}


@role_required(Role.OPERATOR)
def duplicates(request: HttpRequest) -> HttpResponse:
    """htmx: orders this call may already be about (the caller's open ones, and similar
    complaints at the same place this week), each with the action to attach the call."""
    text = request.GET.get("description", "")[:4000]
    phone = request.GET.get("caller_phone", "").strip()[:20]
    matches = []
    if len(text.strip()) >= 4 or len(phone) >= 7:
        matches = work_order_find_duplicates(text=text, caller_phone=phone, user=request.user, **_intake_place(request))
    counts = caller_counts([m.order.pk for m in matches])
    for m in matches:
        m.callers = counts.get(m.order.pk, 1)
    return render(request, "web/ops/_duplicates.html", {"matches": matches})


@role_required(Role.OPERATOR)
@require_POST
def attach_call(request: HttpRequest, number: str) -> HttpResponse:
    """Attach the call being typed on the console to an existing order (补充诉求, or
    来电催办 when the caller is chasing it) instead of creating a new order."""
    order = visible_order(request.user, number)
    form = IntakeForm(request.POST)
    form.is_valid()  # only the caller and description fields matter here
    d = form.cleaned_data
    try:
        work_order_attach_call(
            order=order,
            actor=request.user,
            caller_phone=request.POST.get("caller_phone", ""),
            caller_name=d.get("caller_name", ""),
            caller_confidential=bool(d.get("caller_confidential")),
            text=request.POST.get("description", ""),
            chase=request.POST.get("attach_kind") == "chase",
        )
    except WorkflowError as exc:
        form = IntakeForm(request.POST)
        form.is_valid()
        apply_errors(form, exc)
        recent = WorkOrder.objects.filter(created_by=request.user).order_by("-created_at")[:8]
        return render(request, "web/ops/console.html", {"form": form, "recent": recent}, status=400)
    if request.POST.get("attach_kind") == "chase":
        messages.success(request, _("已记录来电催办：%(n)s") % {"n": order.number})
    else:
        messages.success(request, _("已作为补充诉求并入：%(n)s") % {"n": order.number})
    return redirect("web:ops")
