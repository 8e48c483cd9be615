from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` a client sent with a POST (IETF httpapi idempotency-key
    draft): the first request's fingerprint and, once it finished, its response, so a
    retry gets the same answer instead of creating a second order."""

    class State(models.TextChoices):
        RUNNING = "running"
        DONE = "done"

    # Who sent it: "user:<id>" or, for anonymous public clients, "anon:<ip>"; the same key
    # from two owners is two keys, so one client can never read another's response.
    owner = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key} ({self.state})"


class ApiToken(models.Model):
    """A machine's API key, stored as its SHA-256 digest: the key itself is shown once,
    when it is made (api.tokens.api_token_create), and cannot be read back from the
    database, a backup or the admin. ``prefix`` (the key's first characters) finds the row
    and tells keys apart in the admin; every key expires, and can be revoked at once."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    name = models.CharField(_("用途"), max_length=100, blank=True)
    prefix = models.CharField(_("前缀"), max_length=12, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), editable=False)
    expires_at = models.DateTimeField(_("过期时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"
