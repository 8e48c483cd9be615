from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from grids.selectors import memberships_of
from workorders.selectors import work_orders_visible_to


@login_required
def home(request: HttpRequest) -> HttpResponse:
    orders = (
        work_orders_visible_to(request.user)
        .select_related("category", "current_unit")
        .order_by("due_at", "-created_at")
    )
    return render(
        request,
        "home.html",
        {
            "memberships": memberships_of(request.user),
            "orders": orders.exclude(status__in=["closed", "rejected", "merged"])[:50],
        },
    )


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
