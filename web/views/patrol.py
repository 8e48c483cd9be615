"""Grid patrol (巡查上报): a grid worker reports what they found on their round, from a
phone, with a photo and the phone's position; and sees what became of their reports."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from grids.models import OrgUnit, Role, UnitKind
from grids.selectors import memberships_of, roles_of
from web.forms import PatrolForm, minor_categories
from web.helpers import ask_for_photo_again, intake_from_form, role_required
from workorders.choices import FIELD_CHANNELS, Channel, Status
from workorders.models import WorkOrder
from workorders.selectors import work_orders_visible_to
from workorders.transitions import TRANSITIONS

# A patrol report, or a 未诉先办 order raised on the round (or from a key resident's visit).
MINE_LIMIT = 20  # the recent ones: a list to scroll on a phone, not an archive

# What became of a report, in the words a grid worker would use (not the desk's labels).
PATROL_STATUS = {
    Status.SUBMITTED: gettext_lazy("已上报，等待话务员受理"),
    Status.ACCEPTED: gettext_lazy("已受理，正在派单"),
    Status.ASSIGNED: gettext_lazy("已派给承办单位，等待签收"),
    Status.RETURNED: gettext_lazy("承办单位已退回，正在重新派单"),
    Status.IN_PROGRESS: gettext_lazy("承办单位正在处理"),
    Status.REPLIED: gettext_lazy("承办单位已处理，正在审核结果"),
    Status.CALLBACK: gettext_lazy("已处理完毕，等待回访"),
    Status.CLOSED: gettext_lazy("已办结"),  # 自行处置 too: the mine page says so from the event
    Status.REJECTED: gettext_lazy("未予受理"),
    Status.MERGED: gettext_lazy("与同一问题的其他工单合并办理"),
}


def own_grid(user: AbstractBaseUser) -> OrgUnit | None:
    """The unit the grid worker patrols (a grid, or a community for community-wide
    workers): where a report lands when the phone gives no usable position."""
    units = [m.unit for m in memberships_of(user) if m.role == Role.GRID_WORKER and m.unit.is_active]
    for kind in (UnitKind.GRID, UnitKind.COMMUNITY):
        for unit in units:
            if unit.kind == kind:
                return unit
    return None


@role_required(Role.GRID_WORKER, Role.ADMIN)
def patrol(request: HttpRequest) -> HttpResponse:
    """On any error the page comes back with the typed text kept (the photo has to be
    picked again: browsers never refill a file input)."""
    form = PatrolForm(request.POST or None, request.FILES or None)
    home = own_grid(request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            order = intake_from_form(
                form=form,
                photo=d["photo"],
                self_handled=d["result"] if d["self_handled"] else None,
                channel=Channel.PROACTIVE if d["proactive"] else Channel.PATROL,
                actor=request.user,
                description=d["description"],
                category=d["category"],
                address=d["address"],
                lat=d["lat"],
                lng=d["lng"],
                urgency=d["urgency"],
                # Used only when neither position nor address locates the order.
                community=home,
            )
            if order is not None:
                # The next page shows the number once, as a receipt.
                request.session["patrol_last"] = order.number
                return redirect("web:patrol_mine")
        ask_for_photo_again(request, form)
    context = {
        "form": form,
        "home": home,
        # Admins may look at the page, but the transition table lets only grid workers
        # (and operators) submit; say so before they type rather than after.
        "can_submit": bool(roles_of(request.user) & set(TRANSITIONS["submit"].roles)),
        "categories": minor_categories().order_by("parent__code", "code"),
    }
    return render(request, "web/patrol/report.html", context, status=status)


def _place(order: WorkOrder) -> str:
    # Reports filed elsewhere (the API) may carry no grid or community at all.
    unit = order.grid or order.community
    return unit.name if unit else order.address


@role_required(Role.GRID_WORKER, Role.ADMIN)
def patrol_mine(request: HttpRequest) -> HttpResponse:
    mine = WorkOrder.objects.filter(created_by=request.user, channel__in=FIELD_CHANNELS)
    orders = list(mine.select_related("category", "grid", "community").order_by("-created_at")[:MINE_LIMIT])
    # Link an order only where the worker may open it; the rest show status only.
    visible = set(
        work_orders_visible_to(request.user).filter(pk__in=[o.pk for o in orders]).values_list("pk", flat=True)
    )
    rows = [
        {
            "order": o,
            "plain": PATROL_STATUS.get(o.status, o.get_status_display()),
            "link": o.pk in visible,
            "place": _place(o),
        }
        for o in orders
    ]
    last = request.session.pop("patrol_last", None)
    context = {"rows": rows, "last": last, "total": mine.count(), "limit": MINE_LIMIT}
    return render(request, "web/patrol/mine.html", context)
