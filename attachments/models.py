from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from workorders.models import WorkOrder


def _upload_to(instance: Attachment, filename: str) -> str:
    # Never the client's file name: it may carry a path, personal data or a script
    # extension. The extension comes from the sniffed type.
    if instance.state == Attachment.State.PROCESSING:
        # The bytes as sent, kept only until the worker has re-encoded them: a folder of
        # their own and no extension, so that nothing (a web server serving the media
        # folder, a guess by type) ever offers them as an image.
        return f"attachments/incoming/{uuid.uuid4().hex}"
    return f"attachments/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}{EXTENSIONS.get(instance.content_type, '')}"


EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}


class Attachment(models.Model):
    """A photo attached to an order (public form, grid patrol, handler's evidence).

    Stored as sent and ``processing`` until a worker has decoded and re-encoded it
    (attachments/processing.py); only a ``ready`` photo is ever served. A file that
    cannot be decoded ends ``rejected`` with the reason, and its bytes are deleted."""

    class State(models.TextChoices):
        PROCESSING = "processing", _("处理中")
        READY = "ready", _("可用")
        REJECTED = "rejected", _("已拒收")

    class Reason(models.TextChoices):
        UNREADABLE = "unreadable", _("图片已损坏或无法读取")
        TOO_LARGE = "too_large", _("图片尺寸过大")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=_upload_to)
    content_type = models.CharField(_("类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_at = models.DateTimeField(_("上传时间"))
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.PROCESSING)
    rejected_reason = models.CharField(_("拒收原因"), max_length=12, choices=Reason.choices, blank=True)
    processed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["order_id", "uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["processing", "ready", "rejected"]), name="attachment_state_valid"
            ),
            # A reason exactly when rejected: a rejected photo always says why.
            models.CheckConstraint(
                condition=models.Q(state="rejected", rejected_reason__gt="")
                | (~models.Q(state="rejected") & models.Q(rejected_reason="")),
                name="attachment_rejected_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.file.name}"

    @property
    def is_ready(self) -> bool:
        return self.state == self.State.READY
