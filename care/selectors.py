"""Who may see a key resident, and how much of them.

- The grid's own staff (the grid workers and the handlers whose unit is the grid) read
  the residents of their grid in full, and record the visits.
- The center's desk roles (supervisors, dispatchers, operators of the center unit) read
  every resident in full: the center answers for the whole district's care.
- Community and street staff (handlers and desk roles of a unit above the grid) see the
  residents of their territory masked — kind, grid and whether a visit is overdue,
  which is what they chase, but not who the person is. Admins and superusers likewise
  see everything masked: their work (units, people, frequencies) never needs a name.
- Everyone else (another grid, another street, a department, a property company) does
  not see the resident at all: a page or a record answers 404.

Every reading in full goes through care.services.resident_read_log, which writes a
ResidentAccess row.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from care.models import KeyResident
from grids.models import Membership, OrgUnit, Role, UnitKind
from grids.selectors import memberships_of
from workorders.privacy import mask_name, mask_phone

GRID_STAFF_ROLES = frozenset({Role.GRID_WORKER, Role.HANDLER})
CENTER_ROLES = frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.OPERATOR})
TERRITORY_ROLES = frozenset({Role.HANDLER, Role.SUPERVISOR, Role.DISPATCHER, Role.OPERATOR})


def _own_grid(m: Membership) -> bool:
    return m.role in GRID_STAFF_ROLES and m.unit.kind == UnitKind.GRID


def _center(m: Membership) -> bool:
    return m.role in CENTER_ROLES and m.unit.kind == UnitKind.CENTER


def own_grid_ids(user: AbstractBaseUser) -> set[int]:
    """Grids whose residents this user looks after (and may visit)."""
    return {m.unit_id for m in memberships_of(user) if _own_grid(m) and m.unit.is_active}


def is_center(user: AbstractBaseUser) -> bool:
    return any(_center(m) for m in memberships_of(user))


def visible_grid_ids(user: AbstractBaseUser | None) -> set[int] | None:
    """Grids whose residents the user may see at all (masked or not); None: every grid."""
    if user is None or not user.is_authenticated:
        return set()
    if user.is_superuser:
        return None
    ids = set()
    for m in memberships_of(user):
        if _center(m) or m.role == Role.ADMIN:
            return None
        if _own_grid(m):
            ids.add(m.unit_id)
        elif m.role in TERRITORY_ROLES and m.unit.kind in (UnitKind.STREET, UnitKind.COMMUNITY):
            ids |= set(
                OrgUnit.objects.filter(path__startswith=m.unit.path, kind=UnitKind.GRID).values_list("id", flat=True)
            )
    return ids


def residents_visible_to(user: AbstractBaseUser | None) -> QuerySet[KeyResident]:
    ids = visible_grid_ids(user)
    qs = KeyResident.objects.select_related("grid__parent")
    return qs if ids is None else qs.filter(grid_id__in=ids)


def reads_in_full(user: AbstractBaseUser | None, resident: KeyResident) -> bool:
    """The grid's own staff and the center; nobody else (admins included)."""
    if user is None or not user.is_authenticated:
        return False
    return is_center(user) or resident.grid_id in own_grid_ids(user)


def acting_unit(user: AbstractBaseUser, resident: KeyResident) -> OrgUnit | None:
    """The membership unit under which a full reading happens (for the audit row)."""
    for m in memberships_of(user):
        if _own_grid(m) and m.unit_id == resident.grid_id:
            return m.unit
    for m in memberships_of(user):
        if _center(m):
            return m.unit
    return None


def resident_card(resident: KeyResident, *, full: bool) -> dict:
    """The resident as a page may show them: in full, or masked (no address, no notes);
    an anonymised record (care.retention) has nothing left to show either way."""
    if resident.anonymised_at is not None:
        return {"name": _("（已匿名化）"), "phone": "", "address": "", "notes": "", "masked": not full}
    if full:
        return {
            "name": resident.name,
            "phone": resident.phone,
            "address": resident.address,
            "notes": resident.notes,
            "masked": False,
        }
    return {
        "name": mask_name(resident.name),
        "phone": mask_phone(resident.phone),
        "address": "",
        "notes": "",
        "masked": True,
    }


def due_state(resident: KeyResident, today: date) -> str:
    if not resident.active:
        return "inactive"
    if resident.next_due < today:
        return "overdue"
    if resident.next_due == today:
        return "today"
    return "upcoming"


def overdue_by_grid(user: AbstractBaseUser, today: date) -> list[dict]:
    """Per grid in the user's view: active residents and how many are overdue (like the
    overdue orders, a state at ``today``), the worst first. One GROUP BY query."""
    rows = (
        residents_visible_to(user)
        .filter(active=True)
        .values("grid_id", "grid__name", "grid__parent__name")
        .annotate(total=Count("id"), overdue=Count("id", filter=Q(next_due__lt=today)))
        .order_by("-overdue", "grid__name")
    )
    return list(rows)


def overdue_visits(unit_ids: set[int] | None, today: date) -> int:
    """Active residents whose visit is overdue, in the units ``unit_ids`` (a dashboard
    scope's subtree; None: the district). A count only: no one is named."""
    qs = KeyResident.objects.filter(active=True, next_due__lt=today)
    return qs.count() if unit_ids is None else qs.filter(grid_id__in=unit_ids).count()
