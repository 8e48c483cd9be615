from __future__ import annotations

from functools import reduce
from operator import or_

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from grids.models import Role
from grids.selectors import memberships_of
from workorders.choices import TERMINAL_STATUSES
from workorders.models import WorkOrder
from workorders.scope import orders_q
from workorders.transitions import DESK, UNIT, queues

# What waits for each role: the statuses in which the next step is theirs, as the rules'
# ``queue`` says (workorders/transitions.py): the desks' within what they see, a
# handler's at their own unit.
DESK_QUEUES = queues(DESK)
UNIT_QUEUE = queues(UNIT)[Role.HANDLER]


def my_queue_branches(user: User) -> list[Q]:
    """Orders waiting for this user's next step, as a list of conditions whose union
    is the queue. Each condition pins ONE status (and, for units, one unit), so that
    it is a single range of the (status, due_at) or (current_unit, status, due_at)
    index, already in due order: the queue pages as a merge of a few short index scans
    instead of sorting every running order of the district (see bench/api_queue.py).

    Handlers: orders sitting with one of their own units (not the subtree: a street's
    handler does not work the community's orders). Operators, dispatchers and
    supervisors: their desk statuses within what they may see. Grid workers: what they
    reported and is still running."""
    branches: list[Q] = []
    desk: set[str] = set()
    for m in memberships_of(user):
        if m.role == Role.HANDLER:
            branches += [Q(current_unit_id=m.unit_id, status=s) for s in UNIT_QUEUE]
        elif m.role in DESK_QUEUES:
            desk.update(DESK_QUEUES[m.role])
        elif m.role == Role.GRID_WORKER:
            # One branch: there is no (created_by, status, due_at) index to range over.
            # "not finished" rather than "status in (7 running ones)", so the planner reads
            # the worker's reports by the created_by index instead of AND-ing it with a
            # large range of the status index (115 ms → a few ms at 1M orders).
            branches.append(Q(created_by=user) & ~Q(status__in=sorted(TERMINAL_STATUSES)))
    if desk:
        # Within the user's scope (workorders.scope, the one definition); the center's
        # condition is None: every order of the status.
        scope = orders_q(user)
        for status in sorted(desk):
            branches.append(Q(status=status) if scope is None else Q(status=status) & scope)
    # One condition may come from two memberships; keep each once, in a stable order.
    unique: dict[str, Q] = {}
    for q in branches:
        unique.setdefault(str(q), q)
    return list(unique.values())


def my_queue(user: User) -> QuerySet[WorkOrder]:
    """The whole queue as one queryset (for counts and tests)."""
    branches = my_queue_branches(user)
    if not branches:
        return WorkOrder.objects.none()
    return WorkOrder.objects.filter(reduce(or_, branches))
