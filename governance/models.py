"""考核 schemes, exclusions, appeals and signed monthly reports.

The figures themselves are not stored: they are read from the rows the workflow writes
(deadlines, callback and return events) with the dashboards' definitions, and these
rows only say which of those rows are left out (an approved exclusion removes an order,
an upheld appeal removes the one deadline or event it contested).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import OrgUnit, Service, UnitKind
from workorders.models import Category, Deadline, Event, WorkOrder


class Indicator(models.TextChoices):
    RESPONSE = "response", _("响应率")
    RESOLUTION = "resolution", _("解决率")
    SATISFACTION = "satisfaction", _("满意率")
    ON_TIME = "on_time", _("按时办结率")
    REOPEN = "reopen", _("重办率")
    RETURN = "return", _("退单率")
    # Property companies and utilities only (governance.serving): complaints about the
    # unit from the places it serves ÷ the orders located there.
    COMPLAINT = "complaint", _("被投诉率")


# A lower rate is better: they score as (1 - rate).
NEGATIVE_INDICATORS = frozenset({Indicator.REOPEN, Indicator.RETURN, Indicator.COMPLAINT})
# Indicators that only have a meaning for some kinds of unit.
INDICATOR_KINDS = {Indicator.COMPLAINT: frozenset({UnitKind.PROPERTY})}


class Period(models.TextChoices):
    MONTH = "month", _("月度")
    QUARTER = "quarter", _("季度")


ASSESSED_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.DEPARTMENT, UnitKind.PROPERTY)


class Scheme(models.Model):
    """One version of an assessment scheme (考核方案). Rows are never edited: a change
    is a new version (governance.services.scheme_save_version), so a published report
    always names the weights it was computed with."""

    code = models.SlugField(_("方案编码"), max_length=40)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=100)
    unit_kind = models.CharField(_("考核对象"), max_length=16, choices=[(k.value, k.label) for k in ASSESSED_KINDS])
    period = models.CharField(_("考核周期"), max_length=16, choices=Period.choices, default=Period.MONTH)
    weights = models.JSONField(_("指标权重"), help_text=_('例如 {"response": 20, "satisfaction": 40}'))
    is_active = models.BooleanField(_("现行"), default=False)
    note = models.CharField(_("修订说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["unit_kind", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="scheme_code_version_unique"),
            # One scheme in force per kind of unit.
            models.UniqueConstraint(fields=["unit_kind"], condition=Q(is_active=True), name="scheme_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ExclusionReason(models.TextChoices):
    UNREASONABLE = "unreasonable", _("不合理诉求")
    MALICIOUS = "malicious", _("虚假恶意诉求")
    DUPLICATE = "duplicate", _("重复诉求")
    FORCE_MAJEURE = "force_majeure", _("不可抗力")


class Decision(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已同意")
    DENIED = "denied", _("已驳回")


class Exclusion(models.Model):
    """A unit asks that an order be left out of the assessment; the center decides."""

    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("剔除类型"), max_length=16, choices=ExclusionReason.choices)
    note = models.TextField(_("理由"))
    evidence = models.ManyToManyField("attachments.Attachment", blank=True, related_name="+")
    state = models.CharField(_("状态"), max_length=16, choices=Decision.choices, default=Decision.PENDING)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("剔除申请")
        verbose_name_plural = _("剔除申请")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=Decision.values), name="exclusion_state_valid"),
            # One live request per order: a denied one may be asked again with new evidence.
            models.UniqueConstraint(
                fields=["order"], condition=Q(state__in=["pending", "approved"]), name="exclusion_one_live"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.reason} ({self.state})"


class AppealTarget(models.TextChoices):
    BREACH = "breach", _("超时认定")
    RATING = "rating", _("回访评价")
    RETURN = "return", _("退单审核结果")


class AppealState(models.TextChoices):
    PENDING = "pending", _("待裁定")
    UPHELD = "upheld", _("申诉成立")
    DISMISSED = "dismissed", _("申诉驳回")


class Appeal(models.Model):
    """申诉: a unit contests one breached deadline, one callback rating or one return
    decision. Upheld, that row no longer counts against the unit."""

    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    target = models.CharField(_("申诉事项"), max_length=16, choices=AppealTarget.choices)
    deadline = models.ForeignKey(Deadline, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("申诉理由"))
    attachments = models.ManyToManyField("attachments.Attachment", blank=True, related_name="+")
    state = models.CharField(_("状态"), max_length=16, choices=AppealState.choices, default=AppealState.PENDING)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")
        ordering = ["-filed_at"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=AppealState.values), name="appeal_state_valid"),
            models.CheckConstraint(
                condition=Q(deadline__isnull=False, event__isnull=True) | Q(deadline__isnull=True, event__isnull=False),
                name="appeal_one_target",
            ),
            models.UniqueConstraint(
                fields=["deadline"], condition=Q(state__in=["pending", "upheld"]), name="appeal_deadline_live"
            ),
            models.UniqueConstraint(
                fields=["event"], condition=Q(state__in=["pending", "upheld"]), name="appeal_event_live"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.target} ({self.state})"


class ReportState(models.TextChoices):
    DRAFT = "draft", _("待签批")
    PUBLISHED = "published", _("已发布")


class Report(models.Model):
    """A monthly assessment report, frozen when drafted (the figures as computed then)
    and published only when a lead at the center signs it (签批)."""

    period_start = models.DateField(_("周期开始"))
    period_end = models.DateField(_("周期结束"))  # exclusive
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict)
    state = models.CharField(_("状态"), max_length=16, choices=ReportState.choices, default=ReportState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("考核报告")
        verbose_name_plural = _("考核报告")
        ordering = ["-period_start", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ReportState.values), name="report_state_valid"),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(signed_by__isnull=False, signed_at__isnull=False),
                name="report_published_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m} {self.unit_id or 'district'} ({self.state})"


class ComplaintCategory(models.Model):
    """A category whose orders are residents' complaints about whoever provides
    ``service`` where the order is located (投诉物业: 物业服务 → the property company
    serving that 小区). The 被投诉率 indicator counts them; the admin edits the set."""

    category = models.ForeignKey(Category, verbose_name=_("分类"), on_delete=models.CASCADE, related_name="+")
    service = models.CharField(_("被投诉的服务"), max_length=16, choices=Service.choices, default=Service.PROPERTY)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("投诉类分类")
        verbose_name_plural = _("投诉类分类")
        ordering = ["service", "category__code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "service"], name="complaintcategory_unique"),
            models.CheckConstraint(condition=Q(service__in=Service.values), name="complaintcategory_service_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.category} → {self.get_service_display()}"
