"""The community app's piece of the supervisors' dashboard: one contained block, so the
dashboard's own template needs one line for it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import template
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from community.emergency import emergency_transfer_figures
from community.revisits import revisit_figures
from community.satisfaction import three_satisfaction_figures
from workorders.choices import Channel
from workorders.models import WorkOrder
from workorders.scope import orders_q
from workorders.selectors import work_orders_visible_to

register = template.Library()


def _start_of(day) -> datetime:
    if isinstance(day, datetime):
        return day
    return timezone.make_aware(datetime.combine(day, time.min))


@register.inclusion_tag("community/_dashboard_revisits.html", takes_context=True)
def revisit_block(context, start: date, end: date) -> dict:
    """三满意 rates of the callbacks, and 回头看 rate and results for closures, from
    ``start`` to ``end`` (inclusive days), within what the viewing user may see."""
    user = context["request"].user
    since, until = _start_of(start), _start_of(end) + timedelta(days=1)
    seconds = settings.HOTLINE_DASHBOARD_CACHE_SECONDS
    # Cached like the board beside it (its 120 s): the 三满意 figures read a month's
    # callbacks, which every view of the dashboard would otherwise count again (issue 14).
    key = f"dash-community:{user.pk}:{since.isoformat()}:{until.isoformat()}"
    data = cache.get(key) if seconds else None
    if data is None:
        data = _block(user, since, until)
        if seconds:
            cache.set(key, data, seconds)
    return data


def _block(user, since: datetime, until: datetime) -> dict:
    captains = WorkOrder.objects.filter(channel=Channel.CAPTAIN, created_at__gte=since, created_at__lt=until)
    if orders_q(user) is not None:  # whoever sees every order needs no visibility subquery
        captains = captains.filter(pk__in=work_orders_visible_to(user).values("pk"))
    return {
        "figures": revisit_figures(user=user, since=since, until=until),
        "aspects": three_satisfaction_figures(user=user, since=since, until=until),
        # 楼长 reports are their own channel: counted here beside the 回头看 figures
        # (read through workorder_channel_created).
        "captain_orders": captains.count(),
        # Emergency lines both ways (国办发〔2022〕12号): 转入 beside 转出, per line.
        "emergency": emergency_transfer_figures(user=user, since=since, until=until),
    }
