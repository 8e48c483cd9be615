"""Traffic lights (on time / warning / overdue) from the nearest open deadline."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, F, Min, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workorders.choices import DeadlineState

LIGHT_LABELS = {"ok": _("正常"), "warning": _("预警"), "overdue": _("超时"), "none": _("无时限")}


def attach_warn_at(orders: list) -> list:
    """Set ``warn_at`` on a page of orders with one grouped query over their open
    deadlines (cheaper than annotating a large filtered queryset before slicing)."""
    from workorders.models import Deadline

    rows = (
        Deadline.objects.filter(order_id__in=[o.pk for o in orders], state=DeadlineState.OPEN)
        .values("order_id")
        .annotate(w=Min("warn_at"))
    )
    warn = {r["order_id"]: r["w"] for r in rows}
    for order in orders:
        order.warn_at = warn.get(order.pk)
    return orders


def light(due_at: datetime | None, warn_at: datetime | None, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if due_at is None:
        return "none"
    if due_at < now:
        return "overdue"
    if warn_at is not None and warn_at <= now:
        return "warning"
    return "ok"


def _warned(now: datetime):
    """An open timer of the order whose warning time has passed (the light's "warn_at ≤ now"
    for the nearest warning time, since the minimum has passed exactly when one has)."""
    from workorders.models import Deadline

    return Exists(Deadline.objects.filter(order_id=OuterRef("pk"), state=DeadlineState.OPEN, warn_at__lte=now))


def filter_light(qs: QuerySet, value: str, now: datetime) -> QuerySet:
    """Orders whose light() is ``value``. Each order's own timers are asked (EXISTS) rather
    than the nearest warning time grouped over every order in scope before the page is
    cut (issue 14: the GROUP BY over a street's running orders was most of the page)."""
    if value == "overdue":
        return qs.filter(due_at__lt=now)
    if value == "warning":
        return qs.filter(due_at__gte=now).filter(_warned(now))
    if value == "ok":
        return qs.filter(due_at__gte=now).exclude(_warned(now))
    return qs


def by_deadline(qs: QuerySet) -> QuerySet:
    return qs.order_by(F("due_at").asc(nulls_last=True), "created_at")


def countdown(due_at: datetime | None, now: datetime | None = None) -> str:
    """「剩 3小时20分」 / 「超 1天2小时」, short enough for a table cell."""
    if due_at is None:
        return ""
    now = now or timezone.now()
    delta = due_at - now
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = _("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    elif hours:
        text = _("%(h)d小时%(m)d分") % {"h": hours, "m": minutes}
    else:
        text = _("%(m)d分") % {"m": minutes}
    return (_("剩 %(t)s") if delta.total_seconds() >= 0 else _("超 %(t)s")) % {"t": text}
