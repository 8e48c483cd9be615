"""The community's own channels (issue 16): machine sources that open orders, the city's
12345 platform upstream, and transfers to the emergency lines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import OrgUnit
from workorders.choices import Channel
from workorders.models import Category, Event, FollowUp, WorkOrder


class MonitorSource(models.Model):
    """A machine that detects problems (a camera's video analysis, a sensor network) and
    opens orders through /community/api/monitor/events/. It acts as its own service
    account (``user``: a grid-worker membership, the least role that may submit), so
    every order and event names the source, and its API token can be revoked alone."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("服务账号"), on_delete=models.PROTECT, related_name="monitor_source"
    )
    default_category = models.ForeignKey(
        Category, verbose_name=_("默认分类"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("感知来源")
        verbose_name_plural = _("感知来源")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class MonitorEvent(models.Model):
    """One detection a source reported, by the source's own event id: the dedupe key.

    The row is inserted before the order, in the order's transaction: a second request
    with the same id waits on the unique index until the first commits and then finds
    the row, so one event never opens two orders (a first that rolls back leaves no row
    and the retry runs). ``order`` is therefore empty only inside that transaction."""

    source = models.ForeignKey(
        MonitorSource, verbose_name=_("感知来源"), on_delete=models.PROTECT, related_name="events"
    )
    event_id = models.CharField(_("来源事件号"), max_length=100)
    order = models.OneToOneField(
        WorkOrder, verbose_name=_("工单"), null=True, on_delete=models.PROTECT, related_name="monitor_event"
    )
    detected_at = models.DateTimeField(_("发现时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"))

    class Meta:
        verbose_name = _("感知事件")
        verbose_name_plural = _("感知事件")
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["source", "event_id"], name="monitor_event_source_id_unique")]

    def __str__(self) -> str:
        return f"{self.source.code}:{self.event_id}"


class UpstreamOrder(models.Model):
    """An order the city's 12345 platform handed down (上级交办), with the platform's own
    id: unique, so a webhook delivered twice creates the order once."""

    order = models.OneToOneField(WorkOrder, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="upstream")
    upstream_id = models.CharField(_("上级工单号"), max_length=64, unique=True)
    upstream_deadline = models.DateTimeField(_("上级办理时限"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"))

    class Meta:
        verbose_name = _("上级交办工单")
        verbose_name_plural = _("上级交办工单")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.upstream_id


class UpstreamReport(models.Model):
    """One report sent back to the city's platform for one event (acceptance, reply,
    closure …): the record of what was delivered, when, and the platform's answer. The
    outbox row (workorders.FollowUp, task community.upstream_report) drives the delivery
    and its retries; this row is written when the platform confirmed it, and keyed by
    event so a retry after a lost answer is recognised (the platform dedupes by the same
    ``message_id`` we send)."""

    event = models.OneToOneField(Event, verbose_name=_("事件"), on_delete=models.PROTECT, related_name="+")
    upstream = models.ForeignKey(UpstreamOrder, verbose_name=_("上级交办工单"), on_delete=models.PROTECT)
    status = models.CharField(_("上报状态"), max_length=32)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    delivered_at = models.DateTimeField(_("送达时间"))

    class Meta:
        verbose_name = _("上报记录")
        verbose_name_plural = _("上报记录")
        ordering = ["-delivered_at"]

    def __str__(self) -> str:
        return f"{self.upstream_id}: {self.status}"


REFERENCE_MAX = 40  # an emergency line's own incident number, as its operator reads it out


class EmergencyLine(models.TextChoices):
    POLICE = "110", _("110 报警")
    FIRE = "119", _("119 火警")
    AMBULANCE = "120", _("120 急救")
    TRAFFIC = "122", _("122 交通事故")


class EmergencyTransfer(models.Model):
    """The record of a matter handed to an emergency line (written with the order's
    transfer_emergency event, in its transaction); counted per line."""

    order = models.OneToOneField(
        WorkOrder, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="emergency_transfer"
    )
    line = models.CharField(_("转接热线"), max_length=3, choices=EmergencyLine.choices)
    event = models.OneToOneField(Event, verbose_name=_("事件"), on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    actor_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("单位"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("说明"))
    created_at = models.DateTimeField(_("转接时间"))

    class Meta:
        verbose_name = _("紧急热线转接")
        verbose_name_plural = _("紧急热线转接")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(line__in=["110", "119", "120", "122"]), name="emergency_line_valid")
        ]
        indexes = [models.Index(fields=["line", "created_at"], name="emergency_line_created")]

    def __str__(self) -> str:
        return f"{self.line}: {self.order_id}"


class EmergencyTransferIn(models.Model):
    """The record of a matter an emergency line handed to 12345 (110 passes on a noise
    complaint that is not police work): which line, its own incident number, when and
    which operator took it. Written by work_order_intake with the order's log_call event,
    in its transaction; counted per line beside the transfers out. A sibling of
    EmergencyTransfer rather than a direction on it: both are one-to-one with the order,
    and a matter handed in by 110 may still be handed on to 119, so one order can have
    one record of each."""

    order = models.OneToOneField(
        WorkOrder, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="emergency_transfer_in"
    )
    line = models.CharField(_("来自热线"), max_length=3, choices=EmergencyLine.choices)
    reference = models.CharField(_("对方编号"), max_length=REFERENCE_MAX, blank=True)
    event = models.OneToOneField(Event, verbose_name=_("事件"), on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接转人"), on_delete=models.PROTECT, related_name="+"
    )
    actor_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("单位"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("转入时间"))

    class Meta:
        verbose_name = _("紧急热线转入")
        verbose_name_plural = _("紧急热线转入")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(line__in=["110", "119", "120", "122"]), name="emergency_in_line_valid")
        ]
        indexes = [models.Index(fields=["line", "created_at"], name="emergency_in_line_created")]

    def __str__(self) -> str:
        return f"{self.line} → {self.order_id}"


class UpstreamDeadLetter(FollowUp):
    """The dead-letter list: reports to the city's platform the outbox gave up on after
    HOTLINE_OUTBOX_MAX_ATTEMPTS tries (a proxy of workorders.FollowUp; the admin lists
    only those rows and can send them again)."""

    class Meta:
        proxy = True
        verbose_name = _("上报失败（死信）")
        verbose_name_plural = _("上报失败（死信）")


class RevisitPolicy(models.Model):
    """回头看 for one minor category: what share of its closed orders get a second
    callback, and how many days after closing (edited in the admin)."""

    category = models.OneToOneField(
        Category, verbose_name=_("分类"), on_delete=models.CASCADE, related_name="revisit_policy"
    )
    sample_percent = models.PositiveSmallIntegerField(_("抽样比例（%）"), default=10)
    delay_days = models.PositiveSmallIntegerField(_("办结后天数"), default=7)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("回头看规则")
        verbose_name_plural = _("回头看规则")
        constraints = [
            models.CheckConstraint(condition=Q(sample_percent__lte=100), name="revisit_policy_percent_valid"),
            models.CheckConstraint(condition=Q(delay_days__gte=1), name="revisit_policy_delay_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.sample_percent}% / {self.delay_days}d"


class RevisitState(models.TextChoices):
    PENDING = "pending", _("待回头看")
    SATISFIED = "satisfied", _("满意")
    UNSATISFIED = "unsatisfied", _("不满意")
    UNREACHABLE = "unreachable", _("联系不上")


class Revisit(models.Model):
    """One sampled second callback of one closure of an order. Unique per (order,
    closure time): the scan may run twice, or two beats at once, and still makes one."""

    order = models.ForeignKey(WorkOrder, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="revisits")
    closed_at = models.DateTimeField(_("办结时间"))
    # The unit that handled the order: an unsatisfied revisit counts against it.
    unit = models.ForeignKey(OrgUnit, verbose_name=_("承办单位"), on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("回头看时间"))
    state = models.CharField(_("结果"), max_length=12, choices=RevisitState.choices, default=RevisitState.PENDING)
    note = models.TextField(_("说明"), blank=True)
    answered_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("回头看")
        verbose_name_plural = _("回头看")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "closed_at"], name="revisit_order_closure_unique"),
            models.CheckConstraint(condition=Q(state__in=RevisitState.values), name="revisit_state_valid"),
        ]
        indexes = [
            # The operators' queue reads only pending rows.
            models.Index(fields=["due_at"], condition=Q(state="pending"), name="revisit_pending_due"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}@{self.closed_at:%Y-%m-%d}: {self.state}"


class ContactRole(models.TextChoices):
    COMMITTEE = "committee", _("居委会")
    POLICE = "police", _("社区民警")
    PROPERTY = "property", _("物业公司")
    DOCTOR = "doctor", _("家庭医生")
    LAWYER = "lawyer", _("法律顾问")
    OTHER = "other", _("其他")


class CommunityContact(models.Model):
    """One line of a community's 便民联系卡 (the printed card elderly residents keep):
    who to call for what, kept by the admin."""

    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("社区"),
        on_delete=models.CASCADE,
        related_name="contacts",
        limit_choices_to={"kind": "community"},
    )
    role = models.CharField(_("类别"), max_length=12, choices=ContactRole.choices)
    name = models.CharField(_("名称或姓名"), max_length=60)
    phone = models.CharField(_("电话"), max_length=30)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("便民联系人")
        verbose_name_plural = _("便民联系人")
        ordering = ["community", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.community_id} {self.get_role_display()} {self.name}"


class Building(models.Model):
    """A residential building (楼栋) of a community: its 一楼一码 poster places what
    residents report at the building, and its 楼长 report through their own link."""

    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="buildings",
        limit_choices_to={"kind": "community"},
    )
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("楼栋"), max_length=60)
    address = models.CharField(_("地址"), max_length=200)
    lat = models.FloatField(_("纬度"))
    lng = models.FloatField(_("经度"))

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["community", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class BuildingCaptain(models.Model):
    """楼长: a resident volunteer who relays the building's problems. A secret link
    (``token``) opens the report form with the building and the captain filled in, and
    what comes through it is counted as the 楼长 channel. Optionally a light account
    (``user``, no membership and so no staff right): the captain logs in and sees only
    the report page of his own buildings and the reports he made (community.captains)."""

    building = models.ForeignKey(Building, verbose_name=_("楼栋"), on_delete=models.CASCADE, related_name="captains")
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号码"), max_length=20)
    token = models.CharField(max_length=43, unique=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("楼长账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="captain_posts",
    )

    class Meta:
        verbose_name = _("楼长")
        verbose_name_plural = _("楼长")
        ordering = ["building", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["building", "user"], name="captain_one_post_per_building_and_user")
        ]

    def __str__(self) -> str:
        return f"{self.building.name} {self.name}"

    def save(self, *args, **kwargs) -> None:
        if not self.token:
            import secrets

            self.token = secrets.token_urlsafe(32)
        super().save(*args, **kwargs)


class CaptainReport(models.Model):
    """Which captain made an order (link or account), written with the order: the
    captain's own list reads it, and nothing else of the order's history."""

    order = models.OneToOneField(
        WorkOrder, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="captain_report"
    )
    captain = models.ForeignKey(
        BuildingCaptain, verbose_name=_("楼长"), on_delete=models.PROTECT, related_name="reports"
    )

    class Meta:
        verbose_name = _("楼长上报")
        verbose_name_plural = _("楼长上报")
        ordering = ["-order_id"]

    def __str__(self) -> str:
        return f"{self.captain_id}: {self.order_id}"


class RoutingMode(models.TextChoices):
    CENTER = "center", _("经中心受理派单")
    COMMUNITY = "community", _("直派所在社区")


class ChannelRouting(models.Model):
    """Where a channel's submissions go first (edited in the admin). By default every
    submission waits for the center's operators; with ``community`` a submission located
    in a community is dispatched straight to that community (its queue and duty phone),
    whose handler may escalate it upward (community.routing)."""

    channel = models.CharField(
        _("渠道"),
        max_length=16,
        unique=True,
        choices=[(c.value, c.label) for c in (Channel.QR, Channel.CAPTAIN)],
    )
    mode = models.CharField(_("派送方式"), max_length=12, choices=RoutingMode.choices, default=RoutingMode.CENTER)

    class Meta:
        verbose_name = _("渠道派送设置")
        verbose_name_plural = _("渠道派送设置")
        ordering = ["channel"]
        constraints = [models.CheckConstraint(condition=Q(mode__in=RoutingMode.values), name="channel_routing_mode")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_mode_display()}"
