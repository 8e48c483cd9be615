"""Campaigns (清零行动, 百日攻坚): a scope of orders, a target and a period.

Only the definition is stored; progress is read on demand from the same rows the
dashboard reads (``campaigns.selectors``), so there is no second count to drift."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import OrgUnit
from workorders.models import Category


class Target(models.TextChoices):
    # Every order in scope closed by the end date (清零).
    CLOSE_ALL = "close_all", _("全部办结")
    # ``target_count`` orders of the scope closed within the period (攻坚 N 件).
    CLOSE_COUNT = "close_count", _("办结指定件数")


class SavedFilter(models.Model):
    """A filter of the order list saved under a name by its owner: the query string of
    the list's filters (status, channel, category, unit, community, overdue, q …, as in
    ``api.filters.WorkOrderFilter``), reusable on the list and as a campaign's scope."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("保存人"), on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(_("名称"), max_length=60)
    query = models.CharField(_("筛选条件"), max_length=2000)
    created_at = models.DateTimeField(_("保存时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保存的筛选")
        verbose_name_plural = _("保存的筛选")
        ordering = ["owner", "name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_owner_name_unique")]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("截止日期"))
    units = models.ManyToManyField(
        OrgUnit,
        verbose_name=_("参与单位"),
        related_name="+",
        help_text=_("每个单位一行进度；为空时范围是全区。"),
        blank=True,
    )
    categories = models.ManyToManyField(
        Category, verbose_name=_("分类"), related_name="+", blank=True, help_text=_("为空时不限分类。")
    )
    saved_filter = models.ForeignKey(
        SavedFilter,
        verbose_name=_("保存的筛选"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text=_("范围再按这组保存的筛选条件收窄；为空时不限。"),
    )
    overdue_only = models.BooleanField(
        _("仅超期工单"), default=False, help_text=_("只统计曾经或正在超期的工单（清零超期件）。")
    )
    target = models.CharField(_("目标"), max_length=16, choices=Target.choices, default=Target.CLOSE_ALL)
    target_count = models.PositiveIntegerField(_("目标件数"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("专项行动")
        verbose_name_plural = _("专项行动")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_period_ordered"),
            models.CheckConstraint(
                condition=Q(target="close_all", target_count__isnull=True)
                | Q(target="close_count", target_count__gt=0),
                name="campaign_target_count_matches_target",
            ),
        ]

    def __str__(self) -> str:
        return self.name
