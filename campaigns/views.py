"""Campaign pages: the list, a campaign's board, the orders behind each number, and the
saved filters of the order list."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns import selectors as cs
from campaigns.models import Campaign
from grids.models import Role
from web.helpers import role_required
from web.order_list import order_page
from workorders.errors import InvalidInput

# Any staff role: a campaign concerns units, and a user of no unit (a 楼长's light
# account) has no campaign page at all (404, like any staff page).
member_required = role_required(*Role.values)


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    # A campaign with no row for this user answers 404, like an order outside their scope.
    return get_object_or_404(cs.campaigns_visible_to(request.user), pk=pk)


@member_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = cs.campaigns_visible_to(request.user).select_related("owner")
    return render(request, "campaigns/list.html", {"campaigns": campaigns, "today": timezone.localdate()})


@member_required
def campaign_board(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    board = cs.campaign_board(campaign=campaign, user=request.user)
    return render(request, "campaigns/board.html", {**board, "parts": cs.PARTS})


@member_required
def campaign_orders(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    raw_unit = request.GET.get("unit", "")
    if raw_unit and not raw_unit.isdigit():
        raise Http404
    part = request.GET.get("part", "scope")
    try:
        qs = cs.campaign_part_orders(
            campaign=campaign, user=request.user, unit_id=int(raw_unit) if raw_unit else None, part=part
        )
    except LookupError:
        raise Http404 from None
    unit = campaign.units.filter(pk=raw_unit).first() if raw_unit else None
    page = order_page(request, qs)
    return render(
        request,
        "campaigns/orders.html",
        {"campaign": campaign, "unit": unit, "part": part, "page": page, "orders": page.orders},
    )


@member_required
def filters_page(request: HttpRequest) -> HttpResponse:
    """The order list filtered by the list's own filters (django-filter), the user's saved
    filters, and a form to save the current one under a name."""
    from campaigns.filters import order_filterset, saved_filters_of
    from workorders.selectors import work_orders_visible_to

    visible = work_orders_visible_to(request.user)
    raw = request.GET.get("saved", "")
    saved = saved_filters_of(request.user).filter(pk=raw).first() if raw.isdigit() else None
    if raw and saved is None:
        raise Http404
    query = QueryDict(saved.query) if saved else request.GET
    filterset = order_filterset(query, visible, request.user)
    qs = filterset.qs
    shown = QueryDict(mutable=True)
    for key, values in sorted(query.lists()):
        if key in filterset.form.fields and any(v.strip() for v in values):
            shown.setlist(key, values)
    # By nearest deadline, read from workorder_due_created when nothing narrower serves;
    # the count stops at order_list.COUNT_CAP (an empty filter matches the whole history).
    page = order_page(request, qs)
    return render(
        request,
        "campaigns/filters.html",
        {
            "form": filterset.form,
            "page": page,
            "orders": page.orders,
            "query": shown.urlencode(),
            "saved": saved,
            "saved_filters": saved_filters_of(request.user),
        },
    )


@member_required
@require_POST
def filter_save(request: HttpRequest) -> HttpResponse:
    from campaigns.filters import saved_filter_save

    try:
        saved = saved_filter_save(
            owner=request.user, name=request.POST.get("name", ""), query=request.POST.get("query", "")
        )
    except InvalidInput as exc:
        for message in exc.errors.values():
            messages.error(request, message)
        query = request.POST.get("query", "")
        return redirect(reverse("campaigns:filters") + (f"?{query}" if query else ""))
    messages.success(request, _("已保存筛选「%(n)s」。") % {"n": saved.name})
    return redirect(reverse("campaigns:filters") + f"?saved={saved.pk}")


@member_required
@require_POST
def filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    from campaigns.filters import saved_filter_delete, saved_filters_of

    saved = get_object_or_404(saved_filters_of(request.user), pk=pk)
    try:
        saved_filter_delete(saved=saved)
    except InvalidInput as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    else:
        messages.success(request, _("已删除筛选「%(n)s」。") % {"n": saved.name})
    return redirect("campaigns:filters")
