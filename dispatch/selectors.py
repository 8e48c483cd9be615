from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from dispatch.models import DispatchQueueEntry, QueueState
from grids.selectors import roles_of, sees_everything
from workorders.choices import Status


def dispatch_queue(*, user: AbstractBaseUser) -> QuerySet[DispatchQueueEntry]:
    """Orders waiting for a dispatcher (unroutable or returned), oldest first, with the
    router's reasons and suggestions. Only center dispatchers see the queue."""
    if not (sees_everything(user) and ("dispatcher" in roles_of(user) or user.is_superuser)):
        return DispatchQueueEntry.objects.none()
    return (
        DispatchQueueEntry.objects.filter(state=QueueState.OPEN, order__status__in=[Status.ACCEPTED, Status.RETURNED])
        .select_related("order__category", "order__street")
        .order_by("created_at")
    )
