"""What a user may see of the early-warning list and the topics: the signals and
topics with at least one order in their scope (workorders.scope, the one rule), and
within them only those orders."""

from __future__ import annotations

from collections import Counter

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, QuerySet

from proactive.models import Signal, Topic, TopicOrder
from workorders.models import WorkOrder
from workorders.privacy import mask_phone
from workorders.selectors import work_orders_visible_to

REPRESENTATIVES = 3


def signals_visible_to(user: AbstractBaseUser, *, week) -> QuerySet[Signal]:
    visible = work_orders_visible_to(user)
    through = Signal.orders.through
    mine = through.objects.filter(signal_id=OuterRef("pk"), workorder_id__in=visible.values("pk"))
    return (
        Signal.objects.filter(week=week)
        .filter(Exists(mine))
        .select_related("category", "place")
        .order_by("-level", "-score", "-count", "pk")
    )


def topics_visible_to(user: AbstractBaseUser) -> QuerySet[Topic]:
    visible = work_orders_visible_to(user)
    mine = TopicOrder.objects.filter(topic_id=OuterRef("pk"), order_id__in=visible.values("pk"))
    return Topic.objects.filter(Exists(mine)).select_related("owner", "category", "place").order_by("status", "due")


def orders_in_view(user: AbstractBaseUser, ids) -> QuerySet[WorkOrder]:
    return work_orders_visible_to(user).filter(pk__in=ids).select_related("current_unit", "lead_unit", "category")


def signal_summary(user: AbstractBaseUser, signal: Signal) -> dict:
    """Representative orders, repeat callers (一人多诉: two or more of the signal's
    orders from one number; masked, confidential callers left out), units involved."""
    orders = list(orders_in_view(user, signal.orders.values("pk")).order_by("created_at"))
    phones = Counter(o.caller_phone for o in orders if o.caller_phone and not o.caller_confidential)
    units = sorted({u.name for o in orders for u in (o.current_unit, o.lead_unit) if u is not None})
    step = max(1, len(orders) // REPRESENTATIVES)
    return {
        "signal": signal,
        "visible": len(orders),
        "representatives": orders[::step][:REPRESENTATIVES],
        "repeat_callers": [{"phone": mask_phone(p), "calls": n} for p, n in phones.most_common() if n >= 2],
        "units": units,
    }
