"""Campaign pages: the list, a campaign's board, and the orders behind each number."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from campaigns import selectors as cs
from campaigns.models import Campaign
from grids.models import Role
from web.helpers import role_required
from web.lights import attach_warn_at, by_deadline

PAGE_ROWS = 200

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
    total = qs.count()
    rows = list(by_deadline(qs.select_related("category", "lead_unit", "grid"))[:PAGE_ROWS])
    unit = campaign.units.filter(pk=raw_unit).first() if raw_unit else None
    return render(
        request,
        "campaigns/orders.html",
        {
            "campaign": campaign,
            "unit": unit,
            "part": part,
            "orders": attach_warn_at(rows),
            "total": total,
            "now": timezone.now(),
        },
    )
