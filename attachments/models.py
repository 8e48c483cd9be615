from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from workorders.models import WorkOrder


def _upload_to(instance: Attachment, filename: str) -> str:
    # Never the client's file name: it may carry a path, personal data or a script
    # extension. The extension comes from the sniffed type.
    return f"attachments/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}{EXTENSIONS.get(instance.content_type, '')}"


EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}


class Attachment(models.Model):
    """A photo attached to an order (public form, grid patrol, handler's evidence)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=_upload_to)
    content_type = models.CharField(_("类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["order_id", "uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.file.name}"
