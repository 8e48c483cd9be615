"""Who may see which work order: the one definition.

Pages, the API, dashboard click-through lists, exports, attachments and the workflow's
authorization for desk actions all ask this module, so an order a user may act on is an
order they may open, and a figure counts exactly the orders its list can show.

Per membership (a user sees the union over their memberships):

- the center (any role except grid worker), an admin and a superuser: every order;
- a grid worker: the reports they filed themselves. Their role acts on nothing else
  (the transition table gives them ``submit`` only), so an order sitting with their
  grid is their grid's handlers' business, not theirs;
- a handler of unit U: orders whose current unit, lead unit or a co-handling unit lies
  in U's subtree (what the unit works on);
- a desk role (supervisor, dispatcher, operator) of unit U: the same, plus the orders
  located in U's territory (the order's street in the subtree: 属地 supervision) and
  the orders a unit of the subtree was answerable for at some stage (a Deadline row of
  the unit). Those two are what the dashboard figures count for U (see
  ``territory_q`` and dashboards.selectors), which is why the list behind a figure
  always equals the figure;
- a street or community U (any of the roles above) also sees the orders located in its
  territory (the order's community in the subtree) that a property company or utility
  serving there (grids.ServiceArea) leads or holds: a company serving several
  communities sits under one of them in the tree, and each community supervises its
  work for its own residents (governance's 物业 ranking counts exactly these).
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Q, QuerySet

from grids.models import Membership, OrgUnit, Role, UnitKind
from grids.selectors import memberships_of, property_units_serving
from workorders.choices import TERMINAL_STATUSES, Status
from workorders.models import CoHandling, Deadline, WorkOrder

# Every status but the final ones, spelled out: "status IN (these)" is a range of the
# (unit, status, due_at) indexes, where "status NOT IN (closed, …)" is not.
RUNNING_STATUSES = tuple(s for s in Status.values if s not in TERMINAL_STATUSES)

DESK_ROLES = frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.OPERATOR})


def territory_q(ids: set[int] | None, prefix: str = "") -> Q:
    """Orders that count for the units ``ids`` in the dashboard's order figures: led by
    one of them, or located in one of their streets. None: the whole district."""
    if ids is None:
        return Q()
    return Q(**{f"{prefix}lead_unit_id__in": ids}) | Q(**{f"{prefix}street_id__in": ids})


def subtree_ids(user: User, unit: OrgUnit) -> set[int]:
    """Ids of ``unit`` and everything below it, computed once per request (cached on the
    user object like its memberships) and then used as an id list against the orders."""
    cache = user.__dict__.setdefault("_hotline_subtrees", {})
    ids = cache.get(unit.pk)
    if ids is None:
        ids = cache[unit.pk] = set(OrgUnit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))
    return ids


def serving_ids(user: User, unit: OrgUnit) -> set[int]:
    """Property companies / utilities serving somewhere in ``unit``'s subtree (a street or
    community; nothing for other kinds), cached per request like subtree_ids."""
    if unit.kind not in (UnitKind.STREET, UnitKind.COMMUNITY):
        return set()
    cache = user.__dict__.setdefault("_hotline_serving", {})
    ids = cache.get(unit.pk)
    if ids is None:
        ids = cache[unit.pk] = property_units_serving(subtree_ids(user, unit))
    return ids


def _sees_all(m: Membership) -> bool:
    return m.role != Role.GRID_WORKER and (m.role == Role.ADMIN or m.unit.kind == UnitKind.CENTER)


def running_cohandled_ids(ids: set[int]) -> list[int]:
    """Running orders that a unit among ``ids`` co-handles (few: co-handling is asked for
    on a small share of orders, and only running ones are read). Not cached: a
    co-handling asked a moment ago must show on the next page."""
    rows = CoHandling.objects.filter(unit_id__in=ids, order__status__in=RUNNING_STATUSES)
    return sorted(set(rows.values_list("order_id", flat=True)))


def membership_q(user: User, m: Membership, *, running: bool = False) -> Q | None:
    """The orders one membership opens; None means every order. ``running``: the
    condition for a query that only asks for running orders (see running_orders_visible_to)."""
    if m.role == Role.GRID_WORKER:
        return Q(created_by_id=m.user_id)
    if _sees_all(m):
        return None
    ids = subtree_ids(user, m.unit)
    if running:
        cohandled = Q(pk__in=running_cohandled_ids(ids))
    else:
        cohandled = Q(Exists(CoHandling.objects.filter(order=OuterRef("pk"), unit_id__in=ids)))
    q = Q(current_unit_id__in=ids) | Q(lead_unit_id__in=ids) | cohandled
    if m.role in DESK_ROLES:
        q |= Q(street_id__in=ids) | Q(Exists(Deadline.objects.filter(order=OuterRef("pk"), unit_id__in=ids)))
    serving = serving_ids(user, m.unit)
    if serving:
        q |= Q(community_id__in=ids) & (Q(current_unit_id__in=serving) | Q(lead_unit_id__in=serving))
    return q


def orders_q(user: User | AnonymousUser | None, *, running: bool = False) -> Q | None:
    """The user's whole scope as one condition; None means every order. A user with no
    membership (or anonymous) gets a condition that matches nothing. ``running``: as
    membership_q's, for a query restricted to RUNNING_STATUSES."""
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_superuser:
        return None
    parts = []
    for m in memberships_of(user):
        q = membership_q(user, m, running=running)
        if q is None:
            return None
        parts.append(q)
    if not parts:
        return Q(pk__in=[])
    return reduce(or_, parts)


def orders_visible_to(user: User | AnonymousUser | None) -> QuerySet[WorkOrder]:
    q = orders_q(user)
    qs = WorkOrder.objects.all()
    return qs if q is None else qs.filter(q)


# What membership_covers reads of an order: a row loaded with only these can be checked.
SCOPE_FIELDS = ("created_by", "current_unit", "lead_unit", "street", "community")


def order_visible_to(user: User | AnonymousUser | None, order: WorkOrder) -> bool:
    """Whether ``user`` may see ``order``: orders_visible_to's rule checked on one loaded
    row (SCOPE_FIELDS), with a query only for co-handling and deadline units. For one
    known order this is cheaper than filtering by the scope's condition, whose OR of
    EXISTS clauses costs ~2 ms of CPU to build and compile."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(membership_covers(user, m, order) for m in memberships_of(user))


def running_orders_visible_to(user: User | AnonymousUser | None) -> QuerySet[WorkOrder]:
    """orders_visible_to(user) without closed, merged and rejected orders: the same rows
    as ``orders_visible_to(user).exclude(status__in=TERMINAL_STATUSES)``, written so the
    database reads only the user's units' running orders (issue 14).

    The co-handling part of the scope is a correlated EXISTS in orders_q; inside an OR,
    PostgreSQL can only test it row by row, so the workbench read every running order of
    the district (13,500) twice per page to keep a community's few dozen. Here it is the
    list of running orders the units co-handle (equal to the EXISTS, since every row asked
    for is running), so each arm of the OR is an index range — current or lead unit and
    status in (unit, status, due_at), the co-handled ids in the primary key — and the
    BitmapOr of them is the user's own running orders."""
    q = orders_q(user, running=True)
    qs = WorkOrder.objects.filter(status__in=RUNNING_STATUSES)
    return qs if q is None else qs.filter(q)


def membership_covers(user: User, m: Membership, order: WorkOrder | None) -> bool:
    """Whether membership ``m`` opens ``order`` (the same rule as membership_q, checked on
    one row: in Python where the row has the answer, a query only for co-handling and
    deadline units). The workflow uses it for the desk actions' authorization."""
    if m.role == Role.GRID_WORKER:
        return order is not None and order.created_by_id == m.user_id
    if _sees_all(m):
        return True
    if order is None:
        return False
    ids = subtree_ids(user, m.unit)
    if order.current_unit_id in ids or order.lead_unit_id in ids:
        return True
    if m.role in DESK_ROLES and order.street_id in ids:
        return True
    if order.community_id in ids:
        serving = serving_ids(user, m.unit)
        if order.current_unit_id in serving or order.lead_unit_id in serving:
            return True
    if CoHandling.objects.filter(order_id=order.pk, unit_id__in=ids).exists():
        return True
    return m.role in DESK_ROLES and Deadline.objects.filter(order_id=order.pk, unit_id__in=ids).exists()
