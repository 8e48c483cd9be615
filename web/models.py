"""Ledger exports that a worker writes (web/exports.py says when and why)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportState(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    READY = "ready", _("可下载")
    FAILED = "failed", _("生成失败")


class LedgerExport(models.Model):
    """One 台账 export a supervisor asked for: the list's query string, read again by a
    worker with the asker's rights, and the finished file. The file is kept in the
    database, not on a disk, so whichever web box answers the download has it; only the
    asker may download it, and it is deleted KEEP_HOURS after it was asked for."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ledger_exports")
    query = models.CharField(max_length=2000, blank=True)
    # The language the asker reads: the headers and labels of the file are in it.
    language = models.CharField(max_length=10, blank=True)
    state = models.CharField(max_length=10, choices=ExportState.choices, default=ExportState.PENDING)
    filename = models.CharField(max_length=200, blank=True)
    rows = models.IntegerField(null=True, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)
    error = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ExportState.values), name="web_ledgerexport_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="web_ledgerexport_owner"),
            # The sweep's question: which exports are still waiting or stuck.
            models.Index(
                fields=["created_at"],
                name="web_ledgerexport_unfinished",
                condition=models.Q(state__in=[ExportState.PENDING, ExportState.RUNNING]),
            ),
        ]

    def __str__(self) -> str:
        return f"ledger export {self.pk} of {self.owner_id}: {self.state}"
