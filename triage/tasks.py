"""Celery tasks: parse arguments, call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="triage.train_models")
def train_models() -> list[dict]:
    from triage.training import models_train

    return [
        {"kind": r.kind, "version": r.version.pk if r.version else None, "activated": r.activated, "reason": r.reason}
        for r in models_train()
    ]
