"""Writing campaigns: one service, used by the admin and the tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.models import Campaign, SavedFilter, Target
from grids.models import OrgUnit
from workorders.models import Category


def campaign_validate(*, starts_on: date, ends_on: date, target: str, target_count: int | None) -> None:
    """The rules the database constraints also hold, as messages a person can act on."""
    errors = {}
    if ends_on < starts_on:
        errors["ends_on"] = _("截止日期不能早于开始日期。")
    if target not in Target.values:
        errors["target"] = _("未知的目标类型。")
    elif target == Target.CLOSE_COUNT and not (target_count and target_count > 0):
        errors["target_count"] = _("“办结指定件数”需要填写大于 0 的目标件数。")
    elif target == Target.CLOSE_ALL and target_count is not None:
        errors["target_count"] = _("“全部办结”不填写目标件数。")
    if errors:
        raise ValidationError(errors)


def campaign_create(
    *,
    name: str,
    owner: AbstractBaseUser,
    starts_on: date,
    ends_on: date,
    units: Iterable[OrgUnit] = (),
    categories: Iterable[Category] = (),
    overdue_only: bool = False,
    target: str = Target.CLOSE_ALL,
    target_count: int | None = None,
    saved_filter: SavedFilter | None = None,
) -> Campaign:
    campaign_validate(starts_on=starts_on, ends_on=ends_on, target=target, target_count=target_count)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            owner=owner,
            starts_on=starts_on,
            ends_on=ends_on,
            overdue_only=overdue_only,
            saved_filter=saved_filter,
            target=target,
            target_count=target_count,
        )
        campaign.units.set(list(units))
        campaign.categories.set(list(categories))
    return campaign
