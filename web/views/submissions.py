"""待受理 (public submissions): residents' reports from the web, QR posters and the app,
first come first served, as the dispatcher desk works — a compact list and a detail
pane. The heavy parts (the duplicate search, the model's category ranking, the
category picker of the accept form) are done once, for the selected report in the
pane (loaded with htmx when j/k or a click selects a row), not for every row; a page
of 5,000 waiting reports then costs the same as a page of ten. Which reports wait, and
in what order, is dispatch.selectors'; accepting, rejecting and merging are the order
page's actions (web:order_act), which come back here."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from dispatch.selectors import SUBMISSION_ORDER, submission_queue
from grids.models import Role
from triage.services import triage_suggest_categories
from web.actions import ACTIONS
from web.helpers import role_required, visible_order
from web.keyset import BadCursor, keyset_page
from web.outcomes import conflict_text
from workorders.models import WorkOrder
from workorders.services import work_order_likely_duplicates

PAGE = 50  # a first screen and more; the next page is a keyset link away


def _back(after: str) -> str:
    """Where an action on the pane returns: the same page of the queue."""
    return reverse("web:submissions") + (f"?after={after}" if after else "")


def _pane(request: HttpRequest, order: WorkOrder | None, *, after: str, gone: dict | None = None) -> dict:
    """The selected report with its photos, the model's categories (and where each
    would send it), likely duplicates to merge into, and the three action forms."""
    from attachments.models import Attachment

    pane: dict = {"order": order, "gone": gone, "back": _back(after)}
    if order is None or gone:
        return pane
    kw = {"order": order, "initial": {"expected_version": order.version}}
    forms = {key: ACTIONS[key].form(**kw, auto_id=f"{key}_%s") for key in ("accept", "reject", "merge")}
    suggestions = triage_suggest_categories(text=order.description, limit=3, title=order.title)
    if order.category_id is None and suggestions:
        # What the resident wrote, ranked by the model; the best one is preselected when
        # the resident picked no category.
        forms["accept"].initial["category"] = suggestions[0][0].pk
    pane.update(
        forms,
        photos=list(Attachment.objects.filter(order=order).only("id", "order_id")),
        suggestions=suggestions,
        duplicates=work_order_likely_duplicates(order=order, user=request.user),
    )
    return pane


def _waiting(request: HttpRequest, order: WorkOrder) -> dict | None:
    """None while ``order`` still waits here; otherwise what happened to it."""
    if submission_queue(user=request.user).filter(pk=order.pk).exists():
        return None
    return conflict_text(user=request.user, order=order, in_queue=False)


@role_required(Role.OPERATOR)
def submissions(request: HttpRequest) -> HttpResponse:
    """The queue's first screen: one light row per report (number, channel, time, place,
    title, photo count) and the pane for the selected one (the first by default)."""
    qs = submission_queue(user=request.user)
    after = request.GET.get("after") or ""
    try:
        page = keyset_page(qs, order=SUBMISSION_ORDER, after=after or None, size=PAGE)
    except BadCursor:
        return HttpResponseBadRequest(_("分页参数无效，请从第一页开始。"))
    photos = dict(
        WorkOrder.objects.filter(pk__in=[o.pk for o in page.rows])
        .annotate(n=Count("attachments"))
        .filter(n__gt=0)
        .values_list("pk", "n")
    )
    for o in page.rows:
        o.photo_count = photos.get(o.pk, 0)
    number = request.GET.get("order") or ""
    if number:
        order = visible_order(request.user, number)
        pane = _pane(request, order, after=after, gone=_waiting(request, order))
    else:
        pane = _pane(request, page.rows[0] if page.rows else None, after=after)
    context = {"rows": page.rows, "total": qs.count(), "next_cursor": page.next_cursor, "after": after, "pane": pane}
    return render(request, "web/ops/submissions.html", context)


@role_required(Role.OPERATOR)
def submission_pane(request: HttpRequest, number: str) -> HttpResponse:
    """The detail pane alone (htmx, when j/k or a click selects a row)."""
    order = visible_order(request.user, number)
    after = request.GET.get("after") or ""
    pane = _pane(request, order, after=after, gone=_waiting(request, order))
    return render(request, "web/ops/_submission_pane.html", {"pane": pane, "after": after})
