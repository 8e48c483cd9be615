"""一屏管全屏: notices published to community screens, and the screens themselves."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from grids.models import OrgUnit


class Priority(models.IntegerChoices):
    # Stored as numbers so that "by priority" is one ORDER BY; labels are rendered.
    NORMAL = 10, _("一般")
    IMPORTANT = 20, _("重要")
    URGENT = 30, _("紧急")


class Notice(models.Model):
    title = models.CharField(_("标题"), max_length=80)
    body = models.TextField(_("正文"), max_length=2000)
    image = models.FileField(_("图片"), upload_to="screens/%Y/%m/", blank=True)
    image_type = models.CharField(max_length=32, blank=True)
    priority = models.PositiveSmallIntegerField(_("优先级"), choices=Priority.choices, default=Priority.NORMAL)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    communities = models.ManyToManyField(OrgUnit, related_name="screen_notices", verbose_name=_("社区"))
    publisher_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("屏幕公告")
        verbose_name_plural = _("屏幕公告")
        ordering = ["-priority", "-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="screens_notice_ends_after_start"),
            models.CheckConstraint(condition=Q(priority__in=[10, 20, 30]), name="screens_notice_priority_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class Screen(models.Model):
    """One kiosk. The URL carries a secret token; only its SHA-256 is stored, so a copy
    of the database does not open the screens, and revoking clears nothing but a flag."""

    community = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="screens", limit_choices_to={"kind": "community"}
    )
    name = models.CharField(_("名称"), max_length=80)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("最近连线"), null=True, blank=True)

    class Meta:
        verbose_name = _("社区屏幕")
        verbose_name_plural = _("社区屏幕")
        ordering = ["community__path", "name"]

    def __str__(self) -> str:
        return f"{self.community.name} · {self.name}"
