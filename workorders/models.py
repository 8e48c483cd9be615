from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import OrgUnit, UnitKind
from workorders.choices import (
    FIELD_CHANNELS,
    TERMINAL_STATUSES,
    Channel,
    CoHandlingState,
    DeadlineState,
    ExtensionState,
    RequestType,
    Resolution,
    Routing,
    Satisfaction,
    Stage,
    Status,
    Urgency,
)
from workorders.limit_text import validate_limit
from workorders.transitions import TRANSITIONS


class Category(models.Model):
    """A major (大类, no parent) or minor (小类) class of request.

    Minor categories carry routing and time limits. A limit is written as a number and a
    unit: ``30m``/``2h``/``7d`` in natural time, ``8wh``/``1wd`` in working hours/days.
    """

    parent = models.ForeignKey(
        "self", verbose_name=_("大类"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    routing = models.CharField(_("派单方式"), max_length=16, choices=Routing.choices, default=Routing.TERRITORIAL)
    department = models.ForeignKey(
        OrgUnit,
        verbose_name=_("主责部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="categories",
        limit_choices_to={"kind": UnitKind.DEPARTMENT},
    )
    sign_limit = models.CharField(_("签收时限"), max_length=8, blank=True, validators=[validate_limit])
    contact_limit = models.CharField(_("联系时限"), max_length=8, blank=True, validators=[validate_limit])
    handle_limit = models.CharField(_("办理时限"), max_length=8, blank=True, validators=[validate_limit])
    callback_limit = models.CharField(_("回访时限"), max_length=8, blank=True, validators=[validate_limit])
    urgent_sign_limit = models.CharField(_("紧急签收时限"), max_length=8, blank=True, validators=[validate_limit])
    urgent_contact_limit = models.CharField(_("紧急联系时限"), max_length=8, blank=True, validators=[validate_limit])
    urgent_handle_limit = models.CharField(_("紧急办理时限"), max_length=8, blank=True, validators=[validate_limit])
    urgent_callback_limit = models.CharField(_("紧急回访时限"), max_length=8, blank=True, validators=[validate_limit])
    closure_standard = models.TextField(_("结案标准"), blank=True)
    # 现场核查 (issue 16): the reply may be approved only after a site visit with photo and
    # position recorded since the latest (re)assignment (workorders/services/site_check.py).
    requires_site_check = models.BooleanField(_("需现场核查"), default=False)
    keywords = models.CharField(_("关键词"), max_length=255, blank=True, help_text=_("用空格分隔，用于分类建议"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("分类")
        verbose_name_plural = _("分类")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(routing__in=Routing.values), name="category_routing_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent is not None else self.name

    @property
    def is_minor(self) -> bool:
        return self.parent_id is not None

    def clean(self) -> None:
        if self.parent is not None and self.parent.parent_id:
            raise ValidationError({"parent": _("分类只有两级：小类的上级必须是大类。")})
        if self.routing == Routing.DEPARTMENT and not self.department_id:
            raise ValidationError({"department": _("按职能部门派单的分类必须指定主责部门。")})

    def limit_for(self, stage: str, urgency: str) -> str:
        """The limit text for a stage, the urgent one when set and the order is urgent;
        "" for a stage whose limit is not the category's (the center's return review)."""
        normal, urgent = self._limits().get(stage, ("", ""))
        return urgent if urgency == Urgency.URGENT and urgent else normal

    def _limits(self) -> dict[str, tuple[str, str]]:
        # Spelled out, so that a search for a field finds where the timers read it.
        return {
            Stage.SIGN: (self.sign_limit, self.urgent_sign_limit),
            Stage.CONTACT: (self.contact_limit, self.urgent_contact_limit),
            Stage.HANDLE: (self.handle_limit, self.urgent_handle_limit),
            Stage.CALLBACK: (self.callback_limit, self.urgent_callback_limit),
        }


class WorkOrder(models.Model):
    number = models.CharField(_("工单号"), max_length=20, unique=True)
    channel = models.CharField(_("来源渠道"), max_length=16, choices=Channel.choices)
    request_type = models.CharField(
        _("诉求类型"), max_length=16, choices=RequestType.choices, default=RequestType.COMPLAINT
    )
    caller_name = models.CharField(_("来电人"), max_length=50, blank=True)
    caller_phone = models.CharField(_("联系电话"), max_length=20, blank=True, db_index=True)
    caller_confidential = models.BooleanField(_("保密"), default=False)
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("诉求内容"), max_length=4000)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    # Located area: the grid, and its community and street copied down so that filters
    # and statistics by area need no tree walk.
    street = models.ForeignKey(
        OrgUnit, verbose_name=_("街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        OrgUnit, verbose_name=_("社区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        OrgUnit, verbose_name=_("网格"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("分类"), null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    urgency = models.CharField(_("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, editable=False)
    # lead_unit: the unit the dispatcher made responsible (主办); current_unit: where the
    # order sits now (after sub-dispatch, a community or grid below the lead).
    lead_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("主办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_orders",
        editable=False,
    )
    current_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("当前单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="current_orders",
        editable=False,
    )
    reply = models.TextField(_("办理结果"), blank=True, editable=False)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True, editable=False)
    callback_contacted = models.BooleanField(_("回访已联系"), null=True, blank=True, editable=False)
    callback_resolution = models.CharField(
        _("解决情况"), max_length=16, choices=Resolution.choices, blank=True, editable=False
    )
    callback_satisfaction = models.CharField(
        _("满意度"), max_length=16, choices=Satisfaction.choices, blank=True, editable=False
    )
    callback_attempts = models.PositiveSmallIntegerField(_("回访次数"), default=0, editable=False)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0, editable=False)
    return_count = models.PositiveSmallIntegerField(_("退单次数"), default=0, editable=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("并入工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_orders",
        editable=False,
    )
    # Nearest open deadline, kept by the workflow so queues sort by it with one index.
    due_at = models.DateTimeField(_("最近时限"), null=True, blank=True, editable=False)
    # Short code given to a resident with the number, to track the order without login.
    tracking_code = models.CharField(max_length=8, editable=False)
    # Bumped by every transition; compare-and-set guard for concurrent human edits (ETag).
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,  # workorder_author_created (created_by, created_at, id) serves it
    )
    created_at = models.DateTimeField(_("创建时间"), editable=False)
    updated_at = models.DateTimeField(_("更新时间"), editable=False)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="workorder_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="workorder_channel_valid"),
            models.CheckConstraint(condition=Q(urgency__in=Urgency.values), name="workorder_urgency_valid"),
            models.CheckConstraint(
                condition=Q(lat__isnull=True, lng__isnull=True)
                | Q(lat__gte=-90, lat__lte=90, lng__gte=-180, lng__lte=180),
                name="workorder_position_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.MERGED) | Q(parent__isnull=False), name="workorder_merged_has_parent"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="workorder_status_due"),
            models.Index(fields=["current_unit", "status", "due_at"], name="workorder_unit_status_due"),
            # Scoped queues read "current or lead unit in my subtree": each side its own range.
            models.Index(fields=["lead_unit", "status", "due_at"], name="workorder_lead_status_due"),
            models.Index(fields=["created_at"], name="workorder_created"),
            models.Index(fields=["street", "created_at"], name="workorder_street_created"),
            models.Index(fields=["category", "created_at"], name="workorder_category_created"),
            # Running orders only (issue 14). Workbenches, overdue lists and a grid
            # worker's open reports filter "not finished" plus a scope the planner cannot
            # turn into index ranges (an OR with a co-handling EXISTS): with these they
            # read the running orders (the working set, flat as history grows) instead
            # of walking every order ever filed. The condition is the lists' own
            # ~Q(status__in=…), so PostgreSQL proves the predicate.
            # (due_at, id): the overdue lists' page, ordered by due time then id, is the
            # index's first rows; with due_at alone PostgreSQL sorted every overdue order
            # whenever it misjudged how many there are (1 instead of ~4,000 at 1M).
            models.Index(
                fields=["due_at", "id"],
                condition=~Q(status__in=sorted(TERMINAL_STATUSES)),
                name="workorder_running_due",
            ),
            models.Index(
                fields=["created_by", "due_at", "id"],  # the id: as workorder_running_due
                condition=~Q(status__in=sorted(TERMINAL_STATUSES)),
                name="workorder_creator_running_due",
            ),
            # A grid worker's field reports (patrol and 未诉先办), newest first (their
            # phone's "my reports"): the 20 newest without sorting all the worker ever
            # filed (112 ms → 0.4 ms for 10,000 reports). Partial on exactly the channels
            # that page reads, so two channels still come in created_at order and the
            # planner's misjudged created_by × channel selectivity does not matter.
            models.Index(
                fields=["created_by", "created_at"],
                condition=Q(channel__in=FIELD_CHANNELS),
                name="workorder_creator_created",
            ),
            # Everything one person filed, newest first (an author-scoped API list: the
            # grid worker's), and the foreign key's own look-ups: at 1M the planner
            # walked every order newest first and filtered the author's 1 %.
            models.Index(fields=["created_by", "created_at", "id"], name="workorder_author_created"),
            # Lists over the whole history by nearest deadline (the order filter page,
            # unfiltered or broadly filtered, by_deadline's ORDER BY due_at NULLS LAST,
            # created_at): the first page from the index instead of sorting every order
            # ever filed (2.4 s → 2 ms at a million orders; issue 14).
            models.Index(fields=["due_at", "created_at"], name="workorder_due_created"),
            # A campaign's scope: its categories' orders running or closed since it began
            # (closed_at >= start OR closed_at IS NULL: two ranges of this index), not
            # every order of those categories since the district began.
            models.Index(fields=["category", "closed_at"], name="workorder_category_closed"),
            # The dashboard's 楼长上报 count for a period: the captains' orders only.
            models.Index(fields=["created_at"], condition=Q(channel="captain"), name="workorder_captain_created"),
        ]

    def __str__(self) -> str:
        return self.number


class Event(models.Model):
    """One step in an order's life. Append-only: the timeline, audit trail and most
    statistics are read from these rows, so they are never changed or deleted."""

    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(_("事件"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=16, blank=True)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(_("说明"), blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        ordering = ["order_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["order", "seq"], name="event_order_seq_unique"),
            # Only the table's kinds (workorders/transitions.py): a new kind is a new rule
            # and a migration, so no code path can log an event the table cannot explain.
            models.CheckConstraint(condition=Q(kind__in=list(TRANSITIONS)), name="event_kind_in_table"),
        ]
        # On PostgreSQL dashboards/0005 rebuilds this index with INCLUDE (order_id), so
        # that the orders behind a rate come from the index alone.
        indexes = [models.Index(fields=["kind", "created_at"], name="event_kind_created")]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.seq} {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Events are append-only; an existing event cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Events are append-only; they cannot be deleted.")


class Deadline(models.Model):
    """The timer of one stage. The row is the timer: the scan reads due rows from the
    database, so no broker message or worker restart can lose one."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="deadlines")
    stage = models.CharField(_("环节"), max_length=16, choices=Stage.choices)
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    limit = models.CharField(_("时限"), max_length=8)
    opened_at = models.DateTimeField(_("开始"))
    warn_at = models.DateTimeField(_("预警时间"))
    due_at = models.DateTimeField(_("到期时间"))
    closed_at = models.DateTimeField(_("结束"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=DeadlineState.choices, default=DeadlineState.OPEN)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    extended_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("时限")
        verbose_name_plural = _("时限")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=DeadlineState.values), name="deadline_state_valid"),
            models.CheckConstraint(condition=Q(warn_at__lte=models.F("due_at")), name="deadline_warn_before_due"),
            models.UniqueConstraint(
                fields=["order", "stage"], condition=Q(state=DeadlineState.OPEN), name="deadline_one_open_per_stage"
            ),
        ]
        indexes = [
            # The scanner's two queries touch only open rows whose time has come; these
            # partial indexes keep them O(due rows) rather than O(open orders).
            models.Index(
                fields=["warn_at"],
                condition=Q(state=DeadlineState.OPEN, warned_at__isnull=True),
                name="deadline_to_warn",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(state=DeadlineState.OPEN, breached_at__isnull=True),
                name="deadline_to_breach",
            ),
            # The escalation pass: breached, still open, not yet escalated.
            models.Index(
                fields=["due_at"],
                condition=Q(state=DeadlineState.OPEN, breached_at__isnull=False, escalated_at__isnull=True),
                name="deadline_to_escalate",
            ),
            models.Index(fields=["order", "stage"], name="deadline_order_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.stage} → {self.due_at:%Y-%m-%d %H:%M}"


class CoHandling(models.Model):
    """An assisting unit called in by the lead (吹哨报到)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="cohandlings")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("协办单位"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("状态"), max_length=16, choices=CoHandlingState.choices, default=CoHandlingState.ASKED)
    asked_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    report = models.TextField(_("协办意见"), blank=True)

    class Meta:
        verbose_name = _("协办")
        verbose_name_plural = _("协办")
        constraints = [models.UniqueConstraint(fields=["order", "unit"], name="cohandling_unique")]

    def __str__(self) -> str:
        return f"{self.order_id} → {self.unit_id} ({self.state})"


class ExtensionRequest(models.Model):
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="extension_requests")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("延期理由"))
    proposed_due = models.DateTimeField(_("申请延至"))
    state = models.CharField(_("状态"), max_length=16, choices=ExtensionState.choices, default=ExtensionState.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(state=ExtensionState.PENDING), name="extension_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id} → {self.proposed_due:%Y-%m-%d} ({self.state})"


class CalendarDay(models.Model):
    """One day of the working-time calendar: a holiday, or a 调休 working weekend day.
    Days absent from the table follow the weekday rule (Monday–Friday work)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"))
    note = models.CharField(_("说明"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'班' if self.is_workday else '休'}"


class OrderCounter(models.Model):
    """Per-day sequence behind order numbers (20261123000042).

    SQLite bumps ``last`` (its writers are serialised anyway). PostgreSQL draws from one
    sequence and keeps here only the day's ``base`` (the first value drawn that day), so
    number = day + (value - base + 1) and creators never wait on each other."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)
    base = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class FollowUp(models.Model):
    """Work that must happen because of an event (routing, a notice, return handling …),
    written in the same transaction as the event: the transactional outbox. The Celery
    message that follows only says "there is work"; a worker claims the row, runs the
    task's handler and marks it done in one transaction, and beat nudges rows nobody
    claimed, so a lost message, a flushed broker or a killed worker loses nothing."""

    class State(models.TextChoices):
        PENDING = "pending", _("待执行")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    # No index of its own: the (event, task) unique index starts with it.
    event = models.ForeignKey(
        Event, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="follow_ups", db_index=False
    )
    order = models.ForeignKey(WorkOrder, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="+")
    # The Celery task (by name) whose worker drains rows of this kind: "dispatch.route_order".
    task = models.CharField(_("任务"), max_length=80)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # Not before: creation time at first, later the backoff after a failed attempt.
    available_at = models.DateTimeField(_("可执行时间"))
    created_at = models.DateTimeField(_("创建时间"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    # The X-Request-ID of the request that wrote the row (blank for beat, commands, the
    # worker itself): the worker logs the row's work under it, however the nudge came —
    # coalesced by the background thread, resent by the sweeper, or retried after a backoff.
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("后续任务")
        verbose_name_plural = _("后续任务")
        constraints = [
            # One row per (event, task): recording twice is a no-op, never a second run.
            models.UniqueConstraint(fields=["event", "task"], name="followup_event_task_unique"),
            models.CheckConstraint(condition=Q(state__in=["pending", "done", "failed"]), name="followup_state_valid"),
        ]
        indexes = [
            # The drain's "next pending row of this task" and the sweeper's "pending rows
            # older than the grace period" read only pending rows: a partial index stays
            # as small as the backlog, however many rows are done.
            models.Index(fields=["task", "available_at"], condition=Q(state="pending"), name="followup_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.event_id} ({self.state})"
