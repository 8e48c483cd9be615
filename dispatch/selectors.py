from __future__ import annotations

from collections.abc import Set as AbstractSet
from datetime import UTC, datetime

from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from dispatch.models import DispatchQueueEntry, QueueState
from grids.models import Membership, OrgUnit, Role
from grids.selectors import roles_of, sees_everything
from workorders.choices import DeadlineState, ExtensionState, Status
from workorders.models import Deadline, Event, ExtensionRequest, WorkOrder
from workorders.selectors import work_orders_running_visible_to, work_orders_visible_to

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)  # "no deadline" sorts last


def dispatch_queue(*, user: User) -> QuerySet[DispatchQueueEntry]:
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


def desk_queue(*, user: User, tab: str) -> QuerySet[WorkOrder]:
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


def desk_rows(*, user: User, tab: str) -> QuerySet[WorkOrder]:
    """``desk_queue`` with what each compact row prints (category, community, units)
    joined in, so a page of rows is one query."""
    return desk_queue(user=user, tab=tab).select_related("category", "community", "current_unit", "lead_unit")


def desk_row_notes(tab: str, rows: list[WorkOrder]) -> None:
    """Set what each row of ``tab`` shows beyond the order: who returned it
    (``row_note``), the date an extension asks for (``row_due``); one query per page."""
    ids = [o.pk for o in rows]
    if tab == "returned":
        last: dict[int, Event] = {}
        for e in Event.objects.filter(order_id__in=ids, kind="return").select_related("actor_unit").order_by("seq"):
            last[e.order_id] = e
        for o in rows:
            returned = last.get(o.pk)
            unit = returned.actor_unit if returned is not None else None
            o.row_note = unit.name if unit is not None else ""  # type: ignore[attr-defined]  # a display field
    elif tab == "extensions":
        asked = dict(
            ExtensionRequest.objects.filter(order_id__in=ids, state=ExtensionState.PENDING).values_list(
                "order_id", "proposed_due"
            )
        )
        for o in rows:
            o.row_due = asked.get(o.pk)  # type: ignore[attr-defined]  # a display field


def desk_in_queue(*, user: User, tab: str, order: WorkOrder) -> WorkOrder | None:
    """``order`` as it sits in the queue (with the tab's sort fields), or None when it
    has left it (someone acted, or it never was there)."""
    return desk_queue(user=user, tab=tab).filter(pk=order.pk).first()


def desk_return_event(order: WorkOrder) -> Event | None:
    """The order's last return (退单), with the unit that returned it."""
    return order.events.filter(kind="return").select_related("actor_unit").order_by("-seq").first()


def desk_returning_unit(event: Event | None) -> OrgUnit | None:
    """The unit a return event came from (the overrule form sends the order back there)."""
    unit_id = event.payload.get("from_unit") if event is not None else None
    return OrgUnit.objects.filter(pk=unit_id).first() if unit_id else None


def desk_decision(order: WorkOrder, *, exclude: AbstractSet[int] = frozenset()):
    """What the router recorded when it left ``order`` to the dispatchers (its reasons
    and suggested units, from the queue entry); an order it has not seen yet (just
    accepted, or its message lost) is worked out now, without the ``exclude``d units."""
    from dispatch.services import RouteDecision, route_decide

    entry = DispatchQueueEntry.objects.filter(state=QueueState.OPEN, order_id=order.pk).first()
    if entry is None:
        return route_decide(order, exclude=set(exclude)) if exclude else route_decide(order)
    decision = RouteDecision(None, entry.reasons or [], entry.suggestions or [])
    if entry.suggestions and any(r.get("code") == "not_routed" for r in entry.reasons or []):
        decision.unit = OrgUnit.objects.filter(pk=entry.suggestions[0]["unit"]).first()
    return decision


def desk_counts(*, user: User) -> dict[str, int]:
    """The real number waiting in each desk queue (not the length of a page): one count
    per status over the three waiting statuses, and the extension requests apart. An
    order in progress waits here only with a pending request, and those are few: asked
    from the requests, they cost nothing, where one pass over the waiting statuses read
    every order in progress of the district (13,500) for them (issue 14)."""
    base = work_orders_visible_to(user)
    by_status = dict(
        base.filter(status__in=[Status.ACCEPTED, Status.RETURNED, Status.REPLIED])
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    pending = ExtensionRequest.objects.filter(order_id=OuterRef("pk"), state=ExtensionState.PENDING)
    return {
        "unrouted": by_status.get(Status.ACCEPTED, 0),
        "returned": by_status.get(Status.RETURNED, 0),
        "extensions": base.filter(status=Status.IN_PROGRESS).filter(Exists(pending)).count(),
        "replies": by_status.get(Status.REPLIED, 0),
    }


# The unit workbench's tabs: what to sign, what is being handled, what will soon be
# late, what is late. Each is sorted by the nearest deadline (no deadline last).
WORKBENCH_TABS = ("all", "sign", "doing", "warning", "overdue")
WORKBENCH_ORDER = ("due_sort", "created_at", "pk")


def workbench_queue(*, user: User, tab: str, now: datetime) -> QuerySet[WorkOrder]:
    """The user's open orders in one workbench tab ("warning": not yet late, but an
    open timer's warning time has passed)."""
    qs = work_orders_running_visible_to(user)
    warned = Deadline.objects.filter(order_id=OuterRef("pk"), state=DeadlineState.OPEN, warn_at__lte=now)
    if tab == "sign":
        qs = qs.filter(status=Status.ASSIGNED)
    elif tab == "doing":
        qs = qs.filter(status=Status.IN_PROGRESS)
    elif tab == "warning":
        qs = qs.filter(due_at__gte=now).filter(Exists(warned))
    elif tab == "overdue":
        qs = qs.filter(due_at__lt=now)
    elif tab != "all":
        raise ValueError(tab)
    return qs.annotate(due_sort=Coalesce("due_at", Value(FAR_FUTURE))).order_by(*WORKBENCH_ORDER)


def workbench_counts(*, user: User, now: datetime) -> dict[str, int]:
    """Each tab's count in one pass over the user's open orders."""
    warned = Deadline.objects.filter(order_id=OuterRef("pk"), state=DeadlineState.OPEN, warn_at__lte=now)
    return work_orders_running_visible_to(user).aggregate(
        all=Count("pk"),
        sign=Count("pk", filter=Q(status=Status.ASSIGNED)),
        doing=Count("pk", filter=Q(status=Status.IN_PROGRESS)),
        warning=Count("pk", filter=Q(due_at__gte=now) & Q(Exists(warned))),
        overdue=Count("pk", filter=Q(due_at__lt=now)),
    )


# 待受理: residents' reports (web, QR, app) waiting for an operator, first come first served.
SUBMISSION_ORDER = ("created_at", "pk")


def submission_queue(*, user: User) -> QuerySet[WorkOrder]:
    """Submitted orders ``user`` may see, oldest first, with what a row prints."""
    return (
        work_orders_visible_to(user)
        .filter(status=Status.SUBMITTED)
        .select_related("category", "community", "grid")
        .order_by(*SUBMISSION_ORDER)
    )


# 待回访: orders whose reply the operator reads out to the resident, nearest deadline first.
CALLBACK_ORDER = ("due_sort", "created_at", "pk")


def callback_queue(*, user: User) -> QuerySet[WorkOrder]:
    """Orders waiting for the callback that ``user`` may see, by nearest deadline (no
    deadline last), with what a row prints."""
    return (
        work_orders_visible_to(user)
        .filter(status=Status.CALLBACK)
        .select_related("category", "lead_unit")
        .annotate(due_sort=Coalesce("due_at", Value(FAR_FUTURE)))
        .order_by(*CALLBACK_ORDER)
    )


def units_user_signs_for(user: User) -> set[int]:
    """Units whose orders this user may sign (签收): where they are a handler. A street's
    handler sees the orders it passed down to a community but cannot sign them there."""
    return set(Membership.objects.filter(user=user, role=Role.HANDLER).values_list("unit_id", flat=True))
