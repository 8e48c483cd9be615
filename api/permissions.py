from __future__ import annotations

from rest_framework.permissions import BasePermission

from grids.selectors import memberships_of


class IsMember(BasePermission):
    """Authenticated and a member of at least one org unit (a role somewhere)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_superuser or memberships_of(user)))
