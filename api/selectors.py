from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from grids.models import Role
from grids.selectors import memberships_of
from workorders.choices import Status
from workorders.models import WorkOrder
from workorders.selectors import work_orders_visible_to

# What waits for each role: the statuses in which the next step is theirs.
DESK_QUEUES = {
    Role.OPERATOR: (Status.SUBMITTED, Status.CALLBACK),
    Role.DISPATCHER: (Status.ACCEPTED, Status.RETURNED, Status.REPLIED),
}
UNIT_QUEUE = (Status.ASSIGNED, Status.IN_PROGRESS)


def my_queue(user: AbstractBaseUser) -> QuerySet[WorkOrder]:
    """Orders waiting for this user's next step.

    Handlers: orders sitting with one of their own units (not the subtree: a street's
    handler does not work the community's orders). Operators and dispatchers: their desk
    statuses within what they may see. Grid workers: what they reported. Supervisors:
    running orders in their subtree, for urging. Sorted by the caller (due time first)."""
    memberships = memberships_of(user)
    q = Q(pk__in=[])
    desk_statuses = set()
    for m in memberships:
        if m.role == Role.HANDLER:
            q |= Q(current_unit_id=m.unit_id, status__in=UNIT_QUEUE)
        elif m.role in DESK_QUEUES:
            desk_statuses.update(DESK_QUEUES[m.role])
        elif m.role == Role.SUPERVISOR:
            desk_statuses.update({Status.ASSIGNED, Status.IN_PROGRESS, Status.RETURNED})
        elif m.role == Role.GRID_WORKER:
            q |= Q(created_by=user) & ~Q(status__in=[Status.CLOSED, Status.REJECTED, Status.MERGED])
    qs = WorkOrder.objects.filter(q)
    if desk_statuses:
        qs = qs | work_orders_visible_to(user).filter(status__in=sorted(desk_statuses))
    return qs
