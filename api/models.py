from __future__ import annotations

from django.db import models


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
