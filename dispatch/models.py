from __future__ import annotations

from typing import Any, TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import OrgUnit, Service, UnitKind
from workorders.choices import Routing
from workorders.models import Category, Event, WorkOrder


class RuleTarget(models.TextChoices):
    """Where a rule sends: a category's two routings, and the property company or
    utility serving the located 小区 (grids.ServiceArea) for the rule's ``service``."""

    TERRITORIAL = Routing.TERRITORIAL.value, Routing.TERRITORIAL.label
    DEPARTMENT = Routing.DEPARTMENT.value, Routing.DEPARTMENT.label
    SERVING_UNIT = "serving_unit", _("物业/行业单位（按小区）")


class RoutingRule(models.Model):
    """Where orders of a category go: the street of the located area (属地), a named
    department, or the property company / utility serving the located 小区 (falling
    back to the street where nobody serves it), optionally only for orders inside ``area``. The most specific matching
    rule wins, then the lowest priority number; a tie between different targets is a
    conflict left to the dispatchers."""

    category = models.ForeignKey(Category, verbose_name=_("分类"), on_delete=models.CASCADE, related_name="+")
    target = models.CharField(_("派往"), max_length=16, choices=RuleTarget.choices, default=RuleTarget.TERRITORIAL)
    service = models.CharField(
        _("服务类型"),
        max_length=16,
        choices=Service.choices,
        blank=True,
        help_text=_("派往物业/行业单位时必填：按该服务类型找服务本小区的单位"),
    )
    # SET_NULL, not PROTECT: removing a unit must not be blocked by a rule; the rule then
    # shows as broken in the admin and the router skips it with an alert.
    department = models.ForeignKey(
        OrgUnit,
        verbose_name=_("职能部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"kind": UnitKind.DEPARTMENT},
    )
    area = models.ForeignKey(
        OrgUnit,
        verbose_name=_("适用区域"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("留空表示全区适用"),
    )
    priority = models.PositiveSmallIntegerField(_("优先级"), default=100, help_text=_("数字越小越优先"))
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")
        ordering = ["category__code", "priority", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(target__in=RuleTarget.values), name="routingrule_target_valid"),
            models.CheckConstraint(
                condition=Q(service__in=["", *Service.values]) & (~Q(target=RuleTarget.SERVING_UNIT) | ~Q(service="")),
                name="routingrule_service_valid",
            ),
        ]

    def __str__(self) -> str:
        where = self.area.name if self.area is not None else _("全区")
        goes = (
            self.department.name if self.target == Routing.DEPARTMENT and self.department is not None else self.target
        )
        if self.target == RuleTarget.SERVING_UNIT:
            goes = f"{self.target}:{self.service}"
        return f"{self.category} @ {where} → {goes}"

    def clean(self) -> None:
        if self.target == Routing.DEPARTMENT and not self.department_id:
            raise ValidationError({"department": _("派往职能部门的规则必须指定部门。")})
        if self.target == RuleTarget.SERVING_UNIT and not self.service:
            raise ValidationError({"service": _("派往物业/行业单位的规则必须指定服务类型。")})
        if self.area is not None and self.area.kind not in {UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID}:
            raise ValidationError({"area": _("适用区域必须是街道、社区或网格。")})

    def problem(self) -> str:
        """Why the router cannot use this rule ('' when it can)."""
        if self.target == Routing.DEPARTMENT:
            if self.department is None:
                return str(_("部门已删除或未指定"))
            if not self.department.is_active:
                return str(_("部门「%(u)s」已停用") % {"u": self.department.name})
        if self.target == RuleTarget.SERVING_UNIT and not self.service:
            return str(_("未指定服务类型"))
        if self.area is not None and not self.area.is_active:
            return str(_("区域「%(u)s」已停用") % {"u": self.area.name})
        return ""


class RouteReason(models.TextChoices):
    """Why the router decided as it did: the ``code`` of each entry of
    DispatchQueueEntry.reasons and of an automatic assign's ``routing`` payload. Stored
    as codes; the dispatchers' desk shows the labels of PROBLEMS. (The model's own
    verdicts, triage.services.VerdictCode, sit in the same lists.)"""

    # Why no unit could be chosen.
    NO_CATEGORY = "no_category", _("未选择分类")
    DEPARTMENT_MISSING = "department_missing", _("分类未指定主责部门")
    NOT_LOCATED = "not_located", _("未能定位到街道")
    NO_RULE = "no_rule", _("没有适用的派单规则")
    CONFLICTING_RULES = "conflicting_rules", _("派单规则相互冲突")
    SERVICE_AREA_SHARED = "service_area_shared", _("多家物业/行业单位服务同一小区")
    RETURNED_BY_TARGET = "returned_by_target", _("目标单位曾退回此单")
    RULE_BROKEN = "rule_broken", _("派单规则有误")
    # What the router found or did.
    RULE = "rule", _("派单规则")
    CATEGORY_DEFAULT = "category_default", _("分类默认")
    MODEL_SUGGESTS = "model_suggests", _("模型建议")
    ASSIGN_REFUSED = "assign_refused", _("派单被拒")
    NOT_ROUTED = "not_routed", _("未自动派单")
    RETURNED = "returned", _("退单")


class Reason(TypedDict, total=False):
    """One entry of the router's reasons (RouteDecision.reasons, DispatchQueueEntry.reasons,
    an automatic assign's ``routing`` payload): a ``code`` of RouteReason or VerdictCode and
    the facts behind it. Stored as JSON; every key but ``code`` is optional."""

    code: str
    detail: str  # what is wrong with a rule; why an assign was refused
    rule: int | None  # the routing rule (None: the category's default)
    rules: list[int | None]  # rules in conflict (None: the category's default)
    target: str  # the rule's target (RuleTarget)
    category: str  # a category's code
    unit: int  # the unit that returned the order
    units: list[int]  # the units sharing a service area
    service: str  # the rule's service (serving-unit rules)
    fallback: bool  # no serving unit: the street instead
    located_by: str  # how the order was located (Location.method)
    # A return (退单): the handler's reason, the unit it came from, the order's returns so far.
    reason: str
    from_unit: int | None
    count: int
    # The dispatch model's verdict (triage.services.triage_check_route).
    category_confidence: float
    unit_confidence: float | None
    threshold: float
    categories: list[list[Any]]  # the top three: [code, name, confidence]
    versions: dict[str, int]  # the model versions asked


# The reasons the desk explains to the dispatcher (why the order is theirs to place).
ROUTE_PROBLEMS = frozenset(
    {
        RouteReason.NO_CATEGORY,
        RouteReason.DEPARTMENT_MISSING,
        RouteReason.NOT_LOCATED,
        RouteReason.NO_RULE,
        RouteReason.CONFLICTING_RULES,
        RouteReason.SERVICE_AREA_SHARED,
        RouteReason.RETURNED_BY_TARGET,
        RouteReason.RULE_BROKEN,
    }
)


class QueueState(models.TextChoices):
    OPEN = "open", _("待人工派单")
    DONE = "done", _("已派出")


class DispatchQueueEntry(models.Model):
    """An order the router could not place (or that came back), waiting for a
    dispatcher, with the reasons and ranked suggestions the router found."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(_("状态"), max_length=8, choices=QueueState.choices, default=QueueState.OPEN)
    reasons = models.JSONField(_("原因"), default=list)
    # [{"unit": id, "name": str, "score": float, "why": str}], best first.
    suggestions = models.JSONField(_("建议"), default=list)
    created_at = models.DateTimeField(_("进入时间"))
    done_at = models.DateTimeField(_("派出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待派单")
        verbose_name_plural = _("待派单")
        ordering = ["created_at"]
        constraints = [
            # One open entry per order: re-running the router updates it, never duplicates.
            models.UniqueConstraint(fields=["order"], condition=Q(state="open"), name="dispatchqueue_one_open"),
        ]
        indexes = [models.Index(fields=["created_at"], condition=Q(state="open"), name="dispatchqueue_open")]

    def __str__(self) -> str:
        return f"{self.order_id} ({self.state})"


class NotificationState(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Notification(models.Model):
    """One message to one person. The unique dedupe key (event + person + channel)
    makes "the same event never notifies the same person twice" a database fact."""

    # None: the resident who called or wrote in (no account), at the order's caller phone.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.ForeignKey(WorkOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(_("渠道"), max_length=16, default="sms")
    address = models.CharField(_("号码"), max_length=64, blank=True)
    text = models.CharField(_("内容"), max_length=500)
    dedupe_key = models.CharField(max_length=120, unique=True)
    state = models.CharField(
        _("状态"), max_length=8, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at"]
        indexes = [
            # The sweeper reads only unsent rows.
            models.Index(
                fields=["created_at"], condition=Q(state__in=["pending", "sending"]), name="notification_unsent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.text[:30]}"


class CallbackRetry(models.Model):
    """The next try to reach a resident who did not answer the callback: due on a later
    working day, reminded once to the operators."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="+")
    attempt = models.PositiveSmallIntegerField(_("第几次回访"))
    due_at = models.DateTimeField(_("再次回访时间"))
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("回访重试")
        verbose_name_plural = _("回访重试")
        constraints = [models.UniqueConstraint(fields=["order", "attempt"], name="callbackretry_unique")]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(reminded_at__isnull=True), name="callbackretry_to_remind")
        ]

    def __str__(self) -> str:
        return f"{self.order_id} #{self.attempt} @ {self.due_at:%Y-%m-%d}"


class SystemAlert(models.Model):
    """A problem the machine worked around (a fallback) that an admin should fix: a
    broken routing rule, a category with no limits, a year with no calendar. One row
    per problem key, counted, shown in the admin."""

    key = models.CharField(max_length=120, unique=True)
    message = models.CharField(_("问题"), max_length=500)
    count = models.PositiveIntegerField(_("次数"), default=1)
    first_seen = models.DateTimeField(_("首次出现"))
    last_seen = models.DateTimeField(_("最近出现"))
    resolved = models.BooleanField(_("已处理"), default=False)

    class Meta:
        verbose_name = _("系统告警")
        verbose_name_plural = _("系统告警")
        ordering = ["resolved", "-last_seen"]

    def __str__(self) -> str:
        return self.message
