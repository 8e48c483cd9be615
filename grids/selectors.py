from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from grids.models import Membership, OrgUnit, Role, ServiceArea, UnitKind


def memberships_of(user: User | AnonymousUser) -> list[Membership]:
    if not user or not user.is_authenticated:
        return []
    cached = getattr(user, "_hotline_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("unit"))
        user._hotline_memberships = cached  # type: ignore[attr-defined]  # a per-request cache on the user object
    return cached


def roles_of(user: User | AnonymousUser) -> set[str]:
    return {m.role for m in memberships_of(user)}


def unit_subtree_ids(unit: OrgUnit) -> set[int]:
    return set(OrgUnit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))


def sees_everything(user: User) -> bool:
    """The center (and superusers) see every order in the district."""
    if getattr(user, "is_superuser", False):
        return True
    return any(m.unit.kind == UnitKind.CENTER or m.role == Role.ADMIN for m in memberships_of(user))


def visible_unit_ids(user: User) -> set[int] | None:
    """Ids of the units whose orders the user may see; None means all of them."""
    if sees_everything(user):
        return None
    units = {m.unit for m in memberships_of(user)}
    if not units:
        return set()
    from django.db.models import Q

    q = Q()
    for unit in units:
        q |= Q(path__startswith=unit.path)
    return set(OrgUnit.objects.filter(q).values_list("id", flat=True))


def units_serving(*, service: str, community_id: int | None, grid_id: int | None) -> list[OrgUnit]:
    """The active property companies / utilities providing ``service`` at a place: those
    serving its grid when any do (the more specific area), else those serving the whole
    community. More than one means the place is shared and a person must choose."""
    if community_id is None:
        return []
    rows = list(
        ServiceArea.objects.filter(
            service=service, community_id=community_id, is_active=True, unit__is_active=True
        ).select_related("unit")
    )
    by_grid = [r for r in rows if grid_id is not None and r.grid_id == grid_id]
    chosen = by_grid or [r for r in rows if r.grid_id is None]
    units = {r.unit_id: r.unit for r in chosen}
    return sorted(units.values(), key=lambda u: u.code)


def property_units_serving(area_ids: set[int]) -> set[int]:
    """Ids of the property companies / utilities with a service area in one of the
    communities ``area_ids`` (a community's or street's subtree)."""
    return set(ServiceArea.objects.filter(community_id__in=area_ids).values_list("unit_id", flat=True))
