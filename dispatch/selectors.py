from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce

from dispatch.models import DispatchQueueEntry, QueueState
from grids.selectors import roles_of, sees_everything
from workorders.choices import ExtensionState, Status
from workorders.models import ExtensionRequest, WorkOrder
from workorders.selectors import work_orders_visible_to

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)  # "no deadline" sorts last


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


# The dispatcher desk's four queues, each in the order the work should be done:
# urgent first; then the newest unroutable call first (it is the one a caller may
# still be waiting on; older ones are visible, with their age, further down), the
# longest-waiting return, the nearest deadline of an extension request, the oldest reply.
DESK_TABS: dict[str, tuple[str, ...]] = {
    "unrouted": ("-urgency", "-created_at", "-pk"),
    "returned": ("-urgency", "updated_at", "pk"),
    "extensions": ("-urgency", "due_sort", "pk"),
    "replies": ("-urgency", "replied_sort", "pk"),
}


def desk_queue(*, user: AbstractBaseUser, tab: str) -> QuerySet[WorkOrder]:
    """The orders waiting in one desk queue that ``user`` may see, sorted as DESK_TABS
    says (the sort fields are never NULL, so keyset paging can walk them)."""
    base = work_orders_visible_to(user)
    if tab == "unrouted":
        qs = base.filter(status=Status.ACCEPTED)
    elif tab == "returned":
        qs = base.filter(status=Status.RETURNED)
    elif tab == "extensions":
        pending = ExtensionRequest.objects.filter(order_id=OuterRef("pk"), state=ExtensionState.PENDING)
        qs = base.filter(status=Status.IN_PROGRESS).filter(Exists(pending))
        qs = qs.annotate(due_sort=Coalesce("due_at", Value(FAR_FUTURE)))
    elif tab == "replies":
        qs = base.filter(status=Status.REPLIED).annotate(replied_sort=Coalesce("replied_at", "updated_at"))
    else:
        raise ValueError(tab)
    return qs.order_by(*DESK_TABS[tab])


def desk_counts(*, user: AbstractBaseUser) -> dict[str, int]:
    """The real number waiting in each desk queue (not the length of a page)."""
    return {tab: desk_queue(user=user, tab=tab).order_by().count() for tab in DESK_TABS}
