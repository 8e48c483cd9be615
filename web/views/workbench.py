"""Unit workbench (街道/社区/网格/部门): the unit's orders by nearest deadline, bulk sign."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.models import Role
from web.helpers import role_required
from web.lights import LIGHT_LABELS, by_deadline, filter_light, with_warn_at
from workorders.choices import TERMINAL_STATUSES, Status
from workorders.errors import WorkflowError
from workorders.privacy import text_search_q
from workorders.selectors import work_orders_visible_to
from workorders.services import work_order_sign
from workorders.services.duplicates import caller_counts

PAGE = 100


@role_required(Role.HANDLER, Role.GRID_WORKER, Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN)
def workbench(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    qs = with_warn_at(
        work_orders_visible_to(request.user)
        .exclude(status__in=TERMINAL_STATUSES)
        .select_related("category", "current_unit", "grid")
    )
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    light_filter = request.GET.get("light", "")
    qs = filter_light(qs, light_filter, now)
    q = (request.GET.get("q") or "").strip()
    if q:
        # Only by what the user can read on the list (workorders.privacy).
        qs = qs.filter(text_search_q(request.user, q, fields=("title", "address"), number_contains=True))
    orders = list(by_deadline(qs)[:PAGE])
    callers = caller_counts([o.pk for o in orders])
    for o in orders:
        o.callers = callers.get(o.pk, 1)  # several residents about one order: worth knowing
    return render(
        request,
        "web/workbench.html",
        {
            "orders": orders,
            "now": now,
            "statuses": [(s, Status(s).label) for s in Status.values if s not in TERMINAL_STATUSES],
            "lights": LIGHT_LABELS,
            "f": {"status": status, "light": light_filter, "q": q},
        },
    )


@login_required
@require_POST
def bulk_sign(request: HttpRequest) -> HttpResponse:
    """签收 several orders at once; each is its own transaction, so one order that moved
    on (or is another unit's) does not stop the others."""
    signed, failed = [], []
    for item in request.POST.getlist("orders"):
        pk, _sep, version = item.partition(":")
        if not (pk.isdigit() and version.isdigit()):
            continue
        order = work_orders_visible_to(request.user).filter(pk=int(pk)).first()
        if order is None:
            continue
        try:
            work_order_sign(order=order, actor=request.user, expected_version=int(version))
            signed.append(order.number)
        except WorkflowError as exc:
            failed.append(exc.message)
    if signed:
        messages.success(request, _("已签收 %(n)d 件：%(list)s") % {"n": len(signed), "list": "、".join(signed)})
    for message in failed:
        messages.error(request, message)
    if not signed and not failed:
        messages.error(request, _("请先勾选要签收的工单。"))
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "web:workbench"
    return redirect(target)
