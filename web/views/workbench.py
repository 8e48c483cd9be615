"""Unit workbench (街道/社区/网格/部门): the unit's orders by nearest deadline in tabs with
their counts (待签收 / 办理中 / 即将超时 / 超时), keyset pages, bulk sign of what the user
may sign."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dispatch.selectors import WORKBENCH_ORDER, WORKBENCH_TABS, units_user_signs_for, workbench_counts, workbench_queue
from grids.models import Role
from web.helpers import role_required
from web.keyset import BadCursor, keyset_page
from web.lights import LIGHT_LABELS, filter_light
from web.order_list import prepare_rows
from workorders.choices import TERMINAL_STATUSES, Status
from workorders.errors import WorkflowError
from workorders.models import Event
from workorders.privacy import text_search_q
from workorders.selectors import work_orders_visible_to
from workorders.services import work_order_sign
from workorders.services.duplicates import caller_counts

PAGE = 50  # a first screen and more; the next page is a keyset link away
TITLE_CHARS = 40

# Lazy: a module-level gettext runs once, at import, in the default language, and an
# English page then showed Chinese tabs.
TAB_LABELS = {
    "all": gettext_lazy("全部待办"),
    "sign": gettext_lazy("待签收"),
    "doing": gettext_lazy("办理中"),
    "warning": gettext_lazy("即将超时"),
    "overdue": gettext_lazy("超时"),
}


def _urge_counts(ids: list[int]) -> dict[int, int]:
    """How often each order was urged (by a person or the deadline scan), one query."""
    rows = (
        Event.objects.filter(order_id__in=ids, kind__in=("urge", "deadline_urge"))
        .values("order_id")
        .annotate(n=Count("id"))
    )
    return {r["order_id"]: r["n"] for r in rows}


@role_required(Role.HANDLER, Role.GRID_WORKER, Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN)
def workbench(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    tab = request.GET.get("tab") or "all"
    if tab not in WORKBENCH_TABS:
        tab = "all"
    qs = workbench_queue(user=request.user, tab=tab, now=now).select_related("category", "current_unit", "grid")
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    light_filter = request.GET.get("light", "")
    if light_filter:
        qs = filter_light(qs, light_filter, now)
    q = (request.GET.get("q") or "").strip()
    if q:
        # Only by what the user can read on the list (workorders.privacy).
        qs = qs.filter(text_search_q(request.user, q, fields=("title", "address"), number_contains=True))
    try:
        page = keyset_page(qs, order=WORKBENCH_ORDER, after=request.GET.get("after") or None, size=PAGE)
    except BadCursor:
        return HttpResponseBadRequest(_("分页参数无效，请从第一页开始。"))
    # Each row's cells (light, countdown, link, title as the user may read it, status
    # label) prepared once here, labels translated once per page (web.order_list).
    orders = prepare_rows(request.user, page.rows, now=now, title_chars=TITLE_CHARS)
    ids = [o.pk for o in orders]
    callers = caller_counts(ids)
    urges = _urge_counts(ids)
    signs_for = units_user_signs_for(request.user)
    for o in orders:
        o.callers = callers.get(o.pk, 1)  # several residents about one order: worth knowing
        o.urges = urges.get(o.pk, 0)
        # Only orders this user can sign get a checkbox (a street handler sees the orders
        # it passed down, but signing them is the community's).
        o.can_sign = o.status == Status.ASSIGNED and o.current_unit_id in signs_for
    counts = workbench_counts(user=request.user, now=now)
    query = {k: v for k, v in (("status", status), ("light", light_filter), ("q", q)) if v}
    return render(
        request,
        "web/workbench.html",
        {
            "orders": orders,
            "now": now,
            "tab": tab,
            "tabs": [
                {"key": k, "label": TAB_LABELS[k], "count": counts[k], "active": k == tab} for k in WORKBENCH_TABS
            ],
            "next_cursor": page.next_cursor,
            "query": urlencode(query),
            "any_signable": any(o.can_sign for o in orders),
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
