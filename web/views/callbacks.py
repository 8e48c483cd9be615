"""待回访 (callbacks): the operator calls each resident back, reads out the reply and
records the answer. The dispatcher desk's pattern: a compact list by nearest deadline
and a detail pane with the original request, the reply to read out and the one
callback form (loaded with htmx when j/k or a click selects a row), instead of a form
of seven fields on every card. Which orders wait, and in what order, is
dispatch.selectors'; recording the callback is the order page's action (web:order_act),
which comes back here at the next order in line, or, refused, shows this page again
with the form, its input and the reason."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from dispatch.selectors import CALLBACK_ORDER, callback_queue
from grids.models import Role
from web.actions import ACTIONS
from web.helpers import role_required, visible_order
from web.keyset import BadCursor, keyset_page, rows_after
from web.outcomes import conflict_text
from workorders.models import WorkOrder

PAGE = 50  # a first screen and more; the next page is a keyset link away


def _url(after: str = "", number: str = "") -> str:
    query = {**({"after": after} if after else {}), **({"order": number} if number else {})}
    return reverse("web:callbacks") + (f"?{urlencode(query)}" if query else "")


def _pane(request: HttpRequest, order: WorkOrder | None, *, after: str, form=None) -> dict:
    """The selected order with its callback form (``form``: one that was refused, with
    its input and errors) and where to go after recording it: the next in line."""
    pane: dict = {"order": order}
    if order is None:
        return pane
    queued = callback_queue(user=request.user).filter(pk=order.pk).first()
    if queued is None:
        pane["gone"] = conflict_text(user=request.user, order=order, in_queue=False)
        return pane
    following = rows_after(
        callback_queue(user=request.user), CALLBACK_ORDER, [queued.due_sort, queued.created_at, queued.pk]
    )
    following = following.values_list("number", flat=True).first()
    pane.update(
        order=queued,
        form=form
        or ACTIONS["callback"].form(order=queued, initial={"expected_version": queued.version}, auto_id="cb_%s"),
        next=_url(after, following or ""),
    )
    return pane


def callbacks_page(request: HttpRequest, *, bound: dict | None = None, status: int = 200) -> HttpResponse:
    """The queue with the pane of the selected order (``?order=``, else the first);
    ``bound``: {order id: the callback form that failed}, shown in that order's pane."""
    after = request.GET.get("after") or ""
    qs = callback_queue(user=request.user)
    try:
        page = keyset_page(qs, order=CALLBACK_ORDER, after=after or None, size=PAGE)
    except BadCursor:
        return HttpResponseBadRequest(_("分页参数无效，请从第一页开始。"))
    order, form = None, None
    if bound:
        pk, form = next(iter(bound.items()))
        order = WorkOrder.objects.get(pk=pk)
    elif number := request.GET.get("order") or "":
        order = visible_order(request.user, number)
    elif page.rows:
        order = page.rows[0]
    context = {
        "rows": page.rows,
        "total": qs.count(),
        "next_cursor": page.next_cursor,
        "after": after,
        "pane": _pane(request, order, after=after, form=form),
    }
    return render(request, "web/ops/callbacks.html", context, status=status)


@role_required(Role.OPERATOR)
def callbacks(request: HttpRequest) -> HttpResponse:
    return callbacks_page(request)


@role_required(Role.OPERATOR)
def callback_pane(request: HttpRequest, number: str) -> HttpResponse:
    """The detail pane alone (htmx, when j/k or a click selects a row)."""
    order = visible_order(request.user, number)
    after = request.GET.get("after") or ""
    return render(request, "web/ops/_callback_pane.html", {"pane": _pane(request, order, after=after)})
