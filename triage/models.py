from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from workorders.models import Category


class ModelKind(models.TextChoices):
    CATEGORY = "category", _("分类")
    UNIT = "unit", _("承办单位")


class VerdictCode(models.TextChoices):
    """The ``code`` of the model's verdict on a route (triage.services.triage_check_route),
    kept among the router's reasons (dispatch.models.RouteReason)."""

    COLD_START = "cold_start", _("模型尚无足够数据")
    AGREES = "model_agrees", _("模型与派单规则一致")
    DISAGREES = "model_disagrees", _("模型与派单规则不一致")
    UNSURE = "model_unsure", _("模型置信度低于自动派单阈值")


class ModelVersion(models.Model):
    """One trained classifier with what it was trained on and how well it did on the
    held-out (latest) part of that history. At most one active row per kind; a new row
    becomes active only when it is not worse than the active one on the same split."""

    kind = models.CharField(_("类型"), max_length=16, choices=ModelKind.choices)
    created_at = models.DateTimeField(_("训练时间"))
    trained_on = models.PositiveIntegerField(_("训练工单数"))
    trained_until = models.DateTimeField(_("训练数据截至"))
    holdout_size = models.PositiveIntegerField(_("留出集工单数"))
    top1 = models.FloatField(_("留出集首选准确率"))
    top3 = models.FloatField(_("留出集前三准确率"))
    # The active version's accuracy on this version's held-out split, when there was one.
    previous_top1 = models.FloatField(_("原版本首选准确率"), null=True, blank=True)
    train_seconds = models.FloatField(_("训练耗时（秒）"), default=0)
    classes = models.JSONField(_("类别"), default=list)
    blob = models.BinaryField(_("模型"), editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("启用"), default=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("派单模型版本")
        verbose_name_plural = _("派单模型版本")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ModelKind.values), name="modelversion_kind_valid"),
            models.UniqueConstraint(fields=["kind"], condition=Q(is_active=True), name="modelversion_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M} top1={self.top1:.1%}"


class DispatchThreshold(models.Model):
    """Per-category confidence the model must reach (and agree with the routing rules)
    before an order of that category is dispatched with no person. Categories without a
    row use HOTLINE_AUTO_DISPATCH_THRESHOLD."""

    category = models.OneToOneField(
        Category,
        verbose_name=_("分类"),
        on_delete=models.CASCADE,
        related_name="dispatch_threshold",
        limit_choices_to={"parent__isnull": False},
    )
    threshold = models.FloatField(
        _("自动派单置信度"),
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("0–1；模型与派单规则一致且置信度不低于此值时自动派单。1 表示从不自动派单。"),
    )

    class Meta:
        verbose_name = _("自动派单阈值")
        verbose_name_plural = _("自动派单阈值")
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=0) & Q(threshold__lte=1), name="dispatchthreshold_range"),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.threshold:.2f}"
