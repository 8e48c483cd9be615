"""The waiting counts shown beside 公众诉求, 回访 and 派单台 in the navigation.

Each is one indexed COUNT, cached briefly: the bar is drawn on every page, and a
figure up to NAV_COUNT_SECONDS old is fine for a hint (the queue page itself counts
live). Operators' queues are district-wide, so their counts are shared by every
operator; the desk is scoped to the dispatcher's units, so its count is per user.
"""

from __future__ import annotations

from django.core.cache import cache

from dispatch.selectors import desk_counts
from workorders.choices import Status
from workorders.models import WorkOrder

NAV_COUNT_SECONDS = 20


def _cached(key: str, compute) -> int:
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, NAV_COUNT_SECONDS)
    return value


def submissions_waiting() -> int:
    """Public-channel submissions not yet accepted or rejected (待受理)."""
    return _cached("nav:submissions", lambda: WorkOrder.objects.filter(status=Status.SUBMITTED).count())


def callbacks_waiting() -> int:
    """Orders waiting for the operator's call to the resident (待回访)."""
    return _cached("nav:callbacks", lambda: WorkOrder.objects.filter(status=Status.CALLBACK).count())


def desk_waiting(user) -> int:
    """What the dispatcher's desk lists: unrouted, returned, replies to review and pending
    extensions — the desk's own tab counts, summed (the four sets never overlap)."""
    return _cached(f"nav:desk:{user.pk}", lambda: sum(desk_counts(user=user).values()))


def care_visits_due(user) -> int:
    """未诉先办: key residents of the user's own grids whose visit is due today or overdue
    (care app). Nothing for anyone who does not visit (the center reads the list)."""

    def compute() -> int:
        from django.utils import timezone

        from care.models import KeyResident
        from care.selectors import own_grid_ids

        ids = own_grid_ids(user)
        if not ids:
            return 0
        today = timezone.localdate()
        return KeyResident.objects.filter(grid_id__in=ids, active=True, next_due__lte=today).count()

    return _cached(f"nav:care:{user.pk}", compute)


COUNTERS = {
    "web:submissions": submissions_waiting,
    "web:callbacks": callbacks_waiting,
    "web:desk": desk_waiting,
    "care:residents": care_visits_due,
}
PER_USER = frozenset({desk_waiting, care_visits_due})


def nav_count(name: str, user) -> int | None:
    """The count for the navigation entry ``name``, or None when it has none."""
    counter = COUNTERS.get(name)
    if counter is None:
        return None
    return counter(user) if counter in PER_USER else counter()
