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
