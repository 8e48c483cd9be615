"""未诉先办: the key residents (重点人群) each grid looks after, how often each kind must
be visited, the visits made, and who read a resident's record.

A resident's record is personal data of the most sensitive kind (health, disability,
income, family loss): the rules on who reads it are in care.selectors, and every
reading in full is a ResidentAccess row."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import OrgUnit, UnitKind
from workorders.models import WorkOrder


class Kind(models.TextChoices):
    ALONE_ELDERLY = "alone_elderly", _("独居老人")
    EMPTY_NEST = "empty_nest", _("空巢老人")
    DISABLED = "disabled", _("残疾人")
    HARDSHIP = "hardship", _("困难群众（低保、特困）")
    SERIOUSLY_ILL = "seriously_ill", _("重病患者")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")
    ENTITLED = "entitled", _("优抚对象")
    BEREAVED = "bereaved", _("失独家庭")
    SPECIAL = "special", _("特殊人群")


# Days between visits until the admin says otherwise (VisitFrequency rows, created by
# the migration from this table). Weekly for those who may be in danger alone at home.
DEFAULT_INTERVAL_DAYS = {
    Kind.ALONE_ELDERLY: 7,
    Kind.EMPTY_NEST: 14,
    Kind.DISABLED: 14,
    Kind.HARDSHIP: 30,
    Kind.SERIOUSLY_ILL: 7,
    Kind.LEFT_BEHIND_CHILD: 14,
    Kind.ENTITLED: 30,
    Kind.BEREAVED: 14,
    Kind.SPECIAL: 7,
}
MAX_INTERVAL_DAYS = 365


class VisitFrequency(models.Model):
    """How often a kind of key resident is visited (走访频次), edited by the admin."""

    kind = models.CharField(_("人群类别"), max_length=24, choices=Kind.choices, unique=True)
    interval_days = models.PositiveSmallIntegerField(_("走访间隔（天）"))

    class Meta:
        verbose_name = _("走访频次")
        verbose_name_plural = _("走访频次")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="care_frequency_kind_valid"),
            models.CheckConstraint(
                condition=Q(interval_days__gte=1, interval_days__lte=MAX_INTERVAL_DAYS),
                name="care_frequency_interval_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.interval_days}"


class KeyResident(models.Model):
    """One key resident of one grid. ``next_due`` is the schedule: the day the next visit
    is due, moved by each completed visit (and by a change of the kind's frequency)."""

    grid = models.ForeignKey(
        OrgUnit,
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        related_name="key_residents",
        limit_choices_to={"kind": UnitKind.GRID},
    )
    kind = models.CharField(_("人群类别"), max_length=24, choices=Kind.choices)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("住址"), max_length=200)
    notes = models.TextField(_("备注"), max_length=1000, blank=True)
    active = models.BooleanField(_("在册"), default=True)
    # When the resident was last taken off the roll (None while on it): the PIPL
    # retention (care.retention) anonymises a record off the roll for long enough.
    inactive_since = models.DateTimeField(_("移出名单时间"), null=True, blank=True)
    # Name, phone, address and every note removed (care.retention); kind, grid, the
    # schedule and the visits' dates and outcomes stay for the figures.
    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True)
    next_due = models.DateField(_("下次走访"))
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("重点人群")
        verbose_name_plural = _("重点人群")
        constraints = [models.CheckConstraint(condition=Q(kind__in=Kind.values), name="care_resident_kind_valid")]
        indexes = [
            # The phone page and the overdue lists: active residents of some grids, by due day.
            models.Index(fields=["grid", "next_due"], name="care_resident_due", condition=Q(active=True)),
        ]

    def __str__(self) -> str:
        # Never the name: __str__ ends up in admin pages, logs and error reports.
        return f"{self.get_kind_display()} #{self.pk}"


class Outcome(models.TextChoices):
    MET = "met", _("入户见面")
    PHONE = "phone", _("电话联系")
    ABSENT = "absent", _("未遇（家中无人）")


# A visit that reached the resident moves the schedule; an attempt that did not (nobody
# home) is recorded but the visit stays due.
COMPLETING_OUTCOMES = frozenset({Outcome.MET, Outcome.PHONE})


class Visit(models.Model):
    resident = models.ForeignKey(KeyResident, on_delete=models.CASCADE, related_name="visits")
    due = models.DateField(_("应访日期"))
    done_at = models.DateTimeField(_("走访时间"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("走访人"), on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("走访结果"), max_length=8, choices=Outcome.choices)
    notes = models.TextField(_("走访情况"), max_length=1000)
    # The proactive order raised from this visit, if any (one per visit).
    order = models.OneToOneField(WorkOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="care_visit")

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-done_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(outcome__in=Outcome.values), name="care_visit_outcome_valid")]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.done_at:%Y-%m-%d}"


class Access(models.TextChoices):
    VIEW = "view", _("查看档案")
    LIST = "list", _("名单查看")
    VISIT = "visit", _("记录走访")
    ORDER = "order", _("生成工单")
    ADD = "add", _("登记")
    EDIT = "edit", _("在册变更")
    CORRECT = "correct", _("更正档案")
    ANONYMISE = "anonymise", _("匿名化")


class ResidentAccess(models.Model):
    """Append-only: who read or wrote a key resident's record in full, acting for which
    unit, when. The resident's own audit trail (the order's is its Event log).

    ``actor`` is None for the system (the retention job, or an operator's on-request
    run of ``manage.py anonymise``); ``fields`` names the fields a correction changed
    (their names only: the old values are the personal data being corrected)."""

    resident = models.ForeignKey(KeyResident, on_delete=models.CASCADE, related_name="accesses")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrgUnit, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=12, choices=Access.choices)
    fields = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=12, blank=True)  # anonymise: retention / request
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("重点人群查阅记录")
        verbose_name_plural = _("重点人群查阅记录")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["resident", "at"], name="care_access_resident_at")]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
