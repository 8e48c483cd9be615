from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    """A key another system's 311 software sends as ``api_key`` to POST requests.

    Only a SHA-256 of the key is stored; the key itself is shown once when created.
    ``user`` (optional) is the service account the orders are submitted as; without one
    the orders come from "the system" and must carry the resident's phone number."""

    name = models.CharField(_("名称"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False, help_text=_("密钥前几位，便于识别"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("服务账号"), null=True, blank=True, on_delete=models.PROTECT
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 密钥")
        verbose_name_plural = _("Open311 密钥")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ServiceRequest(models.Model):
    """One POST to /open311/v2/requests: the order it made, the token the client was
    given while the order waits to be accepted (受理), and the service definition's
    attribute values (kept here rather than on the order: only Open311 has them)."""

    order = models.OneToOneField(
        "workorders.WorkOrder", verbose_name=_("工单"), on_delete=models.CASCADE, related_name="open311"
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    key = models.ForeignKey(ApiKey, verbose_name=_("Open311 密钥"), null=True, on_delete=models.SET_NULL)
    attributes = models.JSONField(_("服务属性"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 诉求")
        verbose_name_plural = _("Open311 诉求")

    def __str__(self) -> str:
        return self.token


class Datatype(models.TextChoices):
    STRING = "string", _("短文本")
    NUMBER = "number", _("数字")
    DATETIME = "datetime", _("日期时间")
    TEXT = "text", _("长文本")
    SINGLEVALUELIST = "singlevaluelist", _("单选")
    MULTIVALUELIST = "multivaluelist", _("多选")


class ServiceAttribute(models.Model):
    """An attribute of a service definition (GeoReport v2 services/{code}): what a
    client is asked for when it POSTs a request of this category."""

    category = models.ForeignKey(
        "workorders.Category",
        verbose_name=_("分类"),
        on_delete=models.CASCADE,
        related_name="open311_attributes",
        limit_choices_to={"parent__isnull": False},
    )
    code = models.SlugField(_("编码"), max_length=50)
    datatype = models.CharField(_("数据类型"), max_length=16, choices=Datatype.choices, default=Datatype.STRING)
    required = models.BooleanField(_("必填"), default=False)
    order = models.PositiveSmallIntegerField(_("顺序"), default=1)
    description = models.CharField(_("问题"), max_length=255, help_text=_("向提交人显示的问题"))
    datatype_description = models.CharField(_("填写说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("Open311 服务属性")
        verbose_name_plural = _("Open311 服务属性")
        ordering = ["category", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_code_unique")]

    def __str__(self) -> str:
        return f"{self.category.code}/{self.code}"

    @property
    def is_list(self) -> bool:
        return self.datatype in (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST)


class AttributeValue(models.Model):
    """One choice of a single- or multi-value list attribute."""

    attribute = models.ForeignKey(ServiceAttribute, on_delete=models.CASCADE, related_name="values")
    key = models.CharField(_("值"), max_length=50)
    name = models.CharField(_("显示名称"), max_length=100)
    order = models.PositiveSmallIntegerField(_("顺序"), default=1)

    class Meta:
        verbose_name = _("选项")
        verbose_name_plural = _("选项")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["attribute", "key"], name="open311_value_key_unique")]

    def __str__(self) -> str:
        return self.name


class OpenDataExport(models.Model):
    """One day's published snapshot of the requests (/open-data/), kept as made so the
    file a reader downloaded can be downloaded again. Text columns: a snapshot is a few
    MB for a district's year of requests; move to file storage if a city outgrows that."""

    day = models.DateField(_("日期"), unique=True)
    rows = models.PositiveIntegerField(_("条数"))
    csv = models.TextField(editable=False)
    json = models.TextField(editable=False)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("开放数据导出")
        verbose_name_plural = _("开放数据导出")
        ordering = ["-day"]

    def __str__(self) -> str:
        return self.day.isoformat()


class PublishedPhoto(models.Model):
    """A staff member's approval of one order photo for publication as the Open311
    ``media_url``. Residents' photos show faces, plates and front doors: nothing is
    published without a person having looked at it (who and when are kept)."""

    attachment = models.OneToOneField(
        "attachments.Attachment", verbose_name=_("照片"), on_delete=models.CASCADE, related_name="publication"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("审核时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("公开照片")
        verbose_name_plural = _("公开照片")

    def __str__(self) -> str:
        return str(self.attachment_id)
