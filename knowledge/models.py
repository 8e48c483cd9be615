"""Knowledge-base articles (政策解答、办事指南) that operators read out to answer a call
on the spot (当场解答), with every earlier version kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models import OrgUnit
from workorders.models import Category, WorkOrder


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


class Article(models.Model):
    title = models.CharField(_("标题"), max_length=200)
    question = models.TextField(_("典型问法"), blank=True, help_text=_("来电人通常怎么问，用于检索。"))
    body = models.TextField(_("答复口径"), help_text=_("话务员向来电人宣读的答复内容。"))
    keywords = models.CharField(
        _("关键词"), max_length=500, blank=True, help_text=_("关键词和常见说法，以空格分隔，检索时加权。")
    )
    categories = models.ManyToManyField(
        Category,
        verbose_name=_("关联小类"),
        blank=True,
        related_name="articles",
        limit_choices_to={"parent__isnull": False},
    )
    status = models.CharField(_("状态"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_until = models.DateField(_("失效日期"), null=True, blank=True, help_text=_("政策到期后不再用于答复。"))
    owner_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("负责单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_order = models.ForeignKey(
        WorkOrder, verbose_name=_("来源工单"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("知识库文章")
        verbose_name_plural = _("知识库文章")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published", "retired"]), name="article_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="article_validity_ordered",
            ),
        ]
        # article_suggest_from_order looks up drafts by their source order.
        indexes = [models.Index(fields=["source_order"], name="article_source_order")]

    def __str__(self) -> str:
        return self.title

    def is_valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


class ArticleVersion(models.Model):
    """Every saved version of an article, the current one included (append-only): who
    wrote it and when. An edit adds a row and never changes an earlier one, so the text
    an answer event names by (article, version) can always be read back."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("标题"), max_length=200)
    question = models.TextField(_("典型问法"), blank=True)
    body = models.TextField(_("答复口径"))
    keywords = models.CharField(_("关键词"), max_length=500, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ArticleStatus.choices)
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_until = models.DateField(_("失效日期"), null=True, blank=True)
    category_ids = models.JSONField(default=list, blank=True)
    owner_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    edited_at = models.DateTimeField(_("修改时间"))

    class Meta:
        verbose_name = _("历史版本")
        verbose_name_plural = _("历史版本")
        ordering = ["article_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["article", "version"], name="article_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"
