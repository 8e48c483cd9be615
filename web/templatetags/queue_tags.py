"""Template helpers of the work queues."""

from __future__ import annotations

from django import template
from django.db.models import Count

register = template.Library()


@register.simple_tag
def urge_counts(orders) -> dict[int, int]:
    """{order id: times urged (by a person or the deadline scan)} for a page of orders,
    in one query, so a list can mark the urged rows."""
    from workorders.models import Event

    ids = [o.pk for o in orders]
    rows = (
        Event.objects.filter(order_id__in=ids, kind__in=("urge", "deadline_urge"))
        .values("order_id")
        .annotate(n=Count("id"))
    )
    return {r["order_id"]: r["n"] for r in rows}
