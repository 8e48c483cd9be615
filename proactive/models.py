"""每月一题 and early warning: the weekly signals the detection job finds, the topics
(专题) supervisors make of them, and the seasonal plans (预案) that raise a category's
warning level inside a yearly window."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models import OrgUnit
from workorders.models import Category, WorkOrder


class SeasonalPlan(models.Model):
    """预案: between (start_month, start_day) and (end_month, end_day) every year, the
    category's volume warnings fire at ``threshold`` instead of the default. A window
    may wrap the new year (e.g. 11-15 to 03-15, the heating season)."""

    category = models.ForeignKey(Category, verbose_name=_("分类"), on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("预案名称"), max_length=100)
    start_month = models.PositiveSmallIntegerField(_("开始月"))
    start_day = models.PositiveSmallIntegerField(_("开始日"))
    end_month = models.PositiveSmallIntegerField(_("结束月"))
    end_day = models.PositiveSmallIntegerField(_("结束日"))
    threshold = models.FloatField(_("预警阈值（稳健 z 值）"), default=2.0)

    class Meta:
        verbose_name = _("季节性预案")
        verbose_name_plural = _("季节性预案")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_month__gte=1, start_month__lte=12, end_month__gte=1, end_month__lte=12)
                & models.Q(start_day__gte=1, start_day__lte=31, end_day__gte=1, end_day__lte=31),
                name="proactive_plan_valid_dates",
            ),
            models.CheckConstraint(condition=models.Q(threshold__gt=0), name="proactive_plan_threshold_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def covers(self, day) -> bool:
        start, end, here = (self.start_month, self.start_day), (self.end_month, self.end_day), (day.month, day.day)
        return start <= here <= end if start <= end else here >= start or here <= end


class SignalKind(models.TextChoices):
    VOLUME = "volume", _("量异常")
    CLUSTER = "cluster", _("相似诉求聚集")


class Signal(models.Model):
    """One finding of one week's detection run. ``key`` names what it is about (kind,
    category, place, day) so that a rerun replaces the week's rows rather than adding."""

    week = models.DateField(_("周（周一）"), db_index=True)
    kind = models.CharField(_("类型"), max_length=16, choices=SignalKind.choices)
    key = models.CharField(max_length=120)
    category = models.ForeignKey(
        Category, verbose_name=_("分类"), null=True, on_delete=models.CASCADE, related_name="+"
    )
    place = models.ForeignKey(
        OrgUnit, verbose_name=_("街道或网格"), null=True, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("日期"), null=True)
    count = models.PositiveIntegerField(_("工单数"))
    baseline = models.FloatField(_("基线"), default=0)
    score = models.FloatField(_("得分"))
    seasonal = models.BooleanField(_("预案期内"), default=False)
    level = models.PositiveSmallIntegerField(_("预警等级"), default=1)
    orders = models.ManyToManyField(WorkOrder, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("预警")
        constraints = [models.UniqueConstraint(fields=["week", "key"], name="proactive_signal_once_per_week")]

    def __str__(self) -> str:
        return self.key


class DetectionRun(models.Model):
    """One row per week, locked while the week is (re)computed: two runs at once take
    turns instead of interleaving their deletes and inserts."""

    week = models.DateField(unique=True)
    finished_at = models.DateTimeField(null=True)
    signals = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.week)


class TopicStatus(models.TextChoices):
    OPEN = "open", _("推进中")
    CLOSED = "closed", _("已办结")


class Topic(models.Model):
    title = models.CharField(_("专题名称"), max_length=200)
    plan = models.TextField(_("工作方案"), max_length=4000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="+"
    )
    due = models.DateField(_("完成期限"))
    status = models.CharField(_("状态"), max_length=8, choices=TopicStatus.choices, default=TopicStatus.OPEN)
    category = models.ForeignKey(
        Category, verbose_name=_("分类"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    place = models.ForeignKey(
        OrgUnit, verbose_name=_("街道或网格"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.ForeignKey(Signal, null=True, on_delete=models.SET_NULL, related_name="topics")
    orders = models.ManyToManyField(WorkOrder, through="TopicOrder", related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("专题")
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["open", "closed"]), name="proactive_topic_status"),
        ]

    def __str__(self) -> str:
        return self.title


class TopicOrder(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "order"], name="proactive_topic_order_once")]

    def __str__(self) -> str:
        return f"{self.topic_id}:{self.order_id}"


class Milestone(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=200)
    due = models.DateField(_("计划完成"))
    done_at = models.DateTimeField(_("完成时间"), null=True)

    class Meta:
        ordering = ["due", "pk"]

    def __str__(self) -> str:
        return self.title


class TopicEvent(models.Model):
    """The topic's timeline: every change is a row, with who and when."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"
