from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UnitKind(models.TextChoices):
    CENTER = "center", _("中心")
    DEPARTMENT = "department", _("职能部门")
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")
    # Property companies and utilities (物业、供水供电等行业单位) serving a community's 小区:
    # they receive, sign and reply to orders like any unit (governance: 物业考核).
    PROPERTY = "property", _("物业/行业单位")


# Which kind of unit may sit under which: the tree of DESIGN.md, enforced on save.
ALLOWED_PARENT_KIND: dict[str, UnitKind | None] = {
    UnitKind.CENTER: None,
    UnitKind.DEPARTMENT: UnitKind.CENTER,
    UnitKind.STREET: UnitKind.CENTER,
    UnitKind.COMMUNITY: UnitKind.STREET,
    UnitKind.GRID: UnitKind.COMMUNITY,
    UnitKind.PROPERTY: UnitKind.COMMUNITY,
}


class Role(models.TextChoices):
    OPERATOR = "operator", _("话务员")
    DISPATCHER = "dispatcher", _("派单员")
    HANDLER = "handler", _("承办人")
    SUPERVISOR = "supervisor", pgettext_lazy("role", "督办")  # the role; the action 督办 is "Urge"
    GRID_WORKER = "grid_worker", _("网格员")
    ADMIN = "admin", _("管理员")


class OrgUnit(models.Model):
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialized path of ancestor ids ("/1/4/17/"): subtree look-ups are one indexed
    # prefix scan over a table of a few thousand rows, computed once per request and
    # then used as an id list against the big order table.
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    # GeoJSON geometry (Polygon or MultiPolygon, WGS-84 lng/lat) for streets, communities, grids.
    boundary = models.JSONField(_("边界"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("组织单位")
        verbose_name_plural = _("组织单位")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=UnitKind.values), name="orgunit_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # The path is derived data; keeping it here (rather than in a service) means the
        # admin, the seed and the tests can never leave a stale path behind.
        with transaction.atomic():
            old_path = self.path
            super().save(*args, **kwargs)
            parent_path = self.parent.path if self.parent is not None else "/"
            new_path = f"{parent_path}{self.pk}/"
            if new_path != old_path:
                OrgUnit.objects.filter(pk=self.pk).update(path=new_path)
                self.path = new_path
                if old_path:
                    for child in OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                        OrgUnit.objects.filter(pk=child.pk).update(path=new_path + child.path[len(old_path) :])

    def clean(self) -> None:
        expected = ALLOWED_PARENT_KIND.get(self.kind)
        if expected is None and self.parent_id is not None:
            raise ValidationError({"parent": _("中心不能有上级单位。")})
        if expected is not None and (self.parent is None or self.parent.kind != expected):
            raise ValidationError(
                {"parent": _("%(kind)s 的上级必须是 %(parent)s。") % {"kind": self.kind, "parent": expected}}
            )
        if self.boundary is not None:
            from grids.geometry import geometry_from_geojson

            try:
                geometry_from_geojson(self.boundary)
            except ValueError as exc:
                raise ValidationError({"boundary": str(exc)}) from exc

    @property
    def parent_unit(self) -> OrgUnit:
        """The unit above, for a unit that must have one (every kind but the center:
        ALLOWED_PARENT_KIND, enforced by clean)."""
        if self.parent is None:
            raise ValueError(f"{self.kind} {self.pk} has no unit above it")
        return self.parent

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]

    def is_within(self, other: OrgUnit) -> bool:
        """True when self is other or below it in the tree."""
        return self.path.startswith(other.path)


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit} ({self.get_role_display()})"


class StaffPhone(models.Model):
    """A staff member's own mobile number, where their SMS notifications go. Without
    one, a message for them goes to their unit's duty phone (once per unit)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="staff_phone"
    )
    mobile = models.CharField(
        _("手机号"),
        max_length=11,
        validators=[RegexValidator(r"^1[3-9][0-9]{9}$", _("请填写 11 位手机号。"))],
    )

    class Meta:
        verbose_name = _("工作人员手机号")
        verbose_name_plural = _("工作人员手机号")

    def __str__(self) -> str:
        return f"{self.user}: {self.mobile}"


class AddressAlias(models.Model):
    """A name residents use for a place in a community: a 小区 name, or road + number."""

    community = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="aliases", limit_choices_to={"kind": UnitKind.COMMUNITY}
    )
    grid = models.ForeignKey(
        OrgUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grid_aliases",
        limit_choices_to={"kind": UnitKind.GRID},
    )
    alias = models.CharField(_("别名"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("地址别名")
        verbose_name_plural = _("地址别名")

    def __str__(self) -> str:
        return self.alias


class Parity(models.TextChoices):
    ALL = "all", _("单双号")
    ODD = "odd", _("单号")
    EVEN = "even", _("双号")


class RoadSegment(models.Model):
    """A stretch of house numbers on a road that lies in one community (and grid).

    Roads cross communities, and Chinese roads usually number one side odd and the
    other even, so a road is several rows: 望江路 odd 1–199 in one community, even
    2–120 in the one across. The address resolver places "望江路105号" by these rows."""

    road = models.CharField(_("道路"), max_length=50, db_index=True)
    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("社区"),
        on_delete=models.CASCADE,
        related_name="road_segments",
        limit_choices_to={"kind": UnitKind.COMMUNITY},
    )
    grid = models.ForeignKey(
        OrgUnit,
        verbose_name=_("网格"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grid_road_segments",
        limit_choices_to={"kind": UnitKind.GRID},
    )
    start = models.PositiveIntegerField(_("起始门牌"))
    end = models.PositiveIntegerField(_("终止门牌"))
    parity = models.CharField(_("单双号"), max_length=4, choices=Parity.choices, default=Parity.ALL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("道路门牌段")
        verbose_name_plural = _("道路门牌段")
        ordering = ["road", "start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(start__lte=models.F("end")), name="roadsegment_start_le_end"),
            models.CheckConstraint(condition=models.Q(parity__in=Parity.values), name="roadsegment_parity_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.road} {self.start}–{self.end} ({self.get_parity_display()})"

    def clean(self) -> None:
        if self.grid is not None and self.grid.parent_id != self.community_id:
            raise ValidationError({"grid": _("网格必须属于所选社区。")})

    def covers(self, number: int) -> bool:
        if not self.start <= number <= self.end:
            return False
        return self.parity == Parity.ALL or (number % 2 == 1) == (self.parity == Parity.ODD)


class SuggestionState(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已采纳")
    REJECTED = "rejected", _("已驳回")


class AliasSuggestion(models.Model):
    """An operator placed an address somewhere the resolver did not (or could not):
    a candidate alias for an admin to review before it teaches the resolver."""

    address = models.CharField(_("原始地址"), max_length=255)
    alias = models.CharField(_("建议别名"), max_length=100)
    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("社区"),
        on_delete=models.CASCADE,
        related_name="alias_suggestions",
        limit_choices_to={"kind": UnitKind.COMMUNITY},
    )
    grid = models.ForeignKey(
        OrgUnit,
        verbose_name=_("网格"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": UnitKind.GRID},
    )
    resolved_community = models.ForeignKey(
        OrgUnit, verbose_name=_("系统判定社区"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_confidence = models.FloatField(_("系统置信度"), default=0.0)
    times = models.PositiveIntegerField(_("次数"), default=1)
    state = models.CharField(_("状态"), max_length=16, choices=SuggestionState.choices, default=SuggestionState.PENDING)
    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("地址别名建议")
        verbose_name_plural = _("地址别名建议")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=SuggestionState.values), name="aliassuggestion_state_valid"
            ),
            # One pending suggestion per (alias, community): repeats of the same
            # correction add weight to one row rather than flooding the review list.
            models.UniqueConstraint(
                fields=["alias", "community"],
                condition=models.Q(state="pending"),
                name="aliassuggestion_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alias} → {self.community}"


class Service(models.TextChoices):
    """What a property company or utility does for a place; routing rules name one."""

    PROPERTY = "property", _("物业服务")
    WATER = "water", _("供水")
    POWER = "power", _("供电")
    GAS = "gas", _("燃气")
    HEATING = "heating", _("供热")


class ServiceArea(models.Model):
    """Where a property company or utility (UnitKind.PROPERTY) serves: a 小区 in a
    community, as the whole community or one of its grids. The company sits in the
    tree under one community (its home); a company serving several communities has a
    row for each, so the router sends it the orders located there and each community
    sees it among its companies, without the tree pretending it has two parents."""

    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("物业/行业单位"),
        on_delete=models.CASCADE,
        related_name="service_areas",
        limit_choices_to={"kind": UnitKind.PROPERTY},
    )
    name = models.CharField(_("小区/服务范围"), max_length=100)
    service = models.CharField(_("服务类型"), max_length=16, choices=Service.choices, default=Service.PROPERTY)
    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("社区"),
        on_delete=models.CASCADE,
        related_name="served_areas",
        limit_choices_to={"kind": UnitKind.COMMUNITY},
    )
    grid = models.ForeignKey(
        OrgUnit,
        verbose_name=_("网格"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="served_grid_areas",
        limit_choices_to={"kind": UnitKind.GRID},
        help_text=_("留空表示服务整个社区"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("物业服务范围")
        verbose_name_plural = _("物业服务范围")
        ordering = ["community", "grid", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "community", "grid", "service"], name="servicearea_unique"),
            models.CheckConstraint(condition=models.Q(service__in=Service.values), name="servicearea_service_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} @ {self.name}"

    def clean(self) -> None:
        errors = {}
        if self.unit_id and self.unit.kind != UnitKind.PROPERTY:
            errors["unit"] = _("服务范围只能属于物业/行业单位。")
        if self.community_id and self.community.kind != UnitKind.COMMUNITY:
            errors["community"] = _("请选择社区。")
        if self.grid is not None and self.grid.parent_id != self.community_id:
            errors["grid"] = _("网格必须属于所选社区。")
        if errors:
            raise ValidationError(errors)
