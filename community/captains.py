"""楼长 light accounts: a captain logs in with his phone number and a password, sees the
report form of his own buildings and the reports he made, and nothing else.

The account has no Membership, so it holds no role: every staff page (role_required),
every API view (IsMember) and every order query (workorders.scope) treats it as a user
with no unit. What it may read is decided here, from the captain's own rows."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from community.models import BuildingCaptain
from grids.models import Membership
from workorders.errors import InvalidInput
from workorders.models import WorkOrder


def captain_posts(user: AbstractBaseUser) -> QuerySet[BuildingCaptain]:
    """The active captaincies of a logged-in user (none for staff or anyone else)."""
    if not user.is_authenticated:
        return BuildingCaptain.objects.none()
    return BuildingCaptain.objects.filter(user=user, is_active=True).select_related("building__community")


def captain_account_open(*, captain: BuildingCaptain) -> tuple[AbstractBaseUser, str]:
    """Give ``captain`` a light account (username: his phone number) and a new password,
    returned once for the admin to hand over. A second captaincy of the same phone joins
    the same account. Refuses a phone that already belongs to a staff account: a captain
    must never inherit a unit's rights."""
    phone = captain.phone.strip()
    if not phone.isdigit():
        raise InvalidInput({"phone": _("楼长手机号码只能是数字。")})
    users = get_user_model()
    with transaction.atomic():
        user = users.objects.select_for_update().filter(username=phone).first()
        if user is not None and (user.is_staff or user.is_superuser or Membership.objects.filter(user=user).exists()):
            raise InvalidInput({"phone": _("号码 %(p)s 已是工作人员账号，不能作为楼长账号。") % {"p": phone}})
        if user is None:
            user = users.objects.create_user(username=phone, first_name=captain.name[:150])
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.is_active = True
        user.save()
        captain.user = user
        captain.save(update_fields=["user"])
    return user, password


def captain_reports(*, user: AbstractBaseUser) -> QuerySet[WorkOrder]:
    """The orders this user made as a captain (by link or account), newest first: only
    his own, never another captain's of the same building."""
    return (
        WorkOrder.objects.filter(captain_report__captain__user=user)
        .select_related("captain_report__captain__building")
        .order_by("-created_at", "-pk")
    )
