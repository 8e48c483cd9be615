"""Training: the system's own history → new model versions, switched in only when not
worse than the active one on the same held-out (latest) part of the history.

Labels are where an order really ended up: its category now (after any dispatcher
correction) and the unit that kept it as lead after returns and reassignments (only
orders a unit has signed for: an order still waiting to be signed may yet come back).
Orders whose category or unit was corrected weigh more, so each correction teaches.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from triage.models import ModelKind, ModelVersion
from triage.services import forget_models, meta_tokens, sample_text
from workorders.choices import Status
from workorders.models import Event, WorkOrder

logger = logging.getLogger(__name__)

HOLDOUT_SHARE = 0.2
CORRECTED_WEIGHT = 3.0
CORRECTION_KINDS = ("reclassify", "reassign")
SIGNED = (Status.IN_PROGRESS, Status.REPLIED, Status.CALLBACK, Status.CLOSED)
NOT_LABELLED = (Status.SUBMITTED, Status.REJECTED, Status.MERGED)


@dataclass
class Row:
    created_at: datetime
    text: str
    meta: str
    category: str
    unit: str | None
    weight: float


@dataclass
class TrainResult:
    kind: str
    version: ModelVersion | None
    activated: bool
    reason: str


def history_rows(*, limit: int | None = None) -> list[Row]:
    """The latest ``limit`` labelled orders, oldest first."""
    limit = limit or settings.HOTLINE_TRAIN_MAX_ORDERS
    qs = (
        WorkOrder.objects.filter(category__isnull=False)
        .exclude(status__in=NOT_LABELLED)
        .order_by("-created_at")
        .values_list(
            "pk",
            "created_at",
            "title",
            "description",
            "channel",
            "street_id",
            "community_id",
            "category__code",
            "lead_unit_id",
            "status",
        )[:limit]
    )
    raw = list(qs)
    # Corrections are few next to orders: one indexed read of their order ids.
    corrected = set(Event.objects.filter(kind__in=CORRECTION_KINDS).values_list("order_id", flat=True))
    rows = [
        Row(
            created_at=created,
            text=sample_text(title, description),
            meta=meta_tokens(channel=channel, street_id=street, community_id=community),
            category=code,
            unit=str(lead) if lead and status in SIGNED else None,
            weight=CORRECTED_WEIGHT if pk in corrected else 1.0,
        )
        for pk, created, title, description, channel, street, community, code, lead, status in raw
    ]
    rows.reverse()
    return rows


def _samples(rows: list[Row], kind: str):
    from triage.model import Sample

    if kind == ModelKind.CATEGORY:
        return [Sample(r.text, r.meta, r.category, r.weight) for r in rows]
    return [Sample(r.text, r.meta, r.unit, r.weight) for r in rows if r.unit]


def model_train(*, kind: str, rows: list[Row] | None = None, now: datetime | None = None) -> TrainResult:
    """Train one kind on the history; keep the version; activate it if not worse."""
    from triage import model as ml

    now = now or timezone.now()
    rows = history_rows() if rows is None else rows
    samples = _samples(rows, kind)
    minimum = settings.HOTLINE_TRAIN_MIN_ORDERS
    if len(samples) < minimum or len({s.label for s in samples}) < 2:
        return TrainResult(kind, None, False, f"cold start: {len(samples)} labelled orders, need {minimum}")
    started = time.monotonic()
    cut = int(len(samples) * (1 - HOLDOUT_SHARE))
    train, holdout = samples[:cut], samples[cut:]
    candidate = ml.fit(train)
    acc = ml.topk_accuracy(candidate, holdout)
    current = ModelVersion.objects.filter(kind=kind, is_active=True).first()
    previous = None
    if current is not None:
        from triage.services import classifier

        previous = ml.topk_accuracy(classifier(current.pk), holdout)[1]
    better = previous is None or acc[1] >= previous
    # The accepted model learns from everything, the held-out part (newest orders and
    # corrections) included; its recorded accuracy is the split model's, measured honestly.
    final = ml.fit(samples) if better else candidate
    blob = final.dumps()
    fields = dict(
        kind=kind,
        created_at=now,
        trained_on=len(samples) if better else len(train),
        trained_until=rows[-1].created_at,
        holdout_size=len(holdout),
        top1=acc[1],
        top3=acc[3],
        previous_top1=previous,
        train_seconds=round(time.monotonic() - started, 2),
        classes=final.classes,
        blob=blob,
        sha256=hashlib.sha256(blob).hexdigest(),
        note="" if better else "worse than the active version on the same held-out split",
    )
    # Two runs at once (a second beat, or the command while the nightly task runs) must
    # not both replace the active version: the active row is locked and re-read, and a
    # version compared against a model that is no longer active is kept inactive.
    with transaction.atomic():
        active = ModelVersion.objects.select_for_update().filter(kind=kind, is_active=True).first()
        if better and (active.pk if active else None) != (current.pk if current else None):
            better, fields["note"] = False, "another training run activated a version meanwhile"
        if better and active is not None:
            ModelVersion.objects.filter(pk=active.pk).update(is_active=False)
        try:
            with transaction.atomic():
                version = ModelVersion.objects.create(is_active=better, **fields)
        except IntegrityError:  # a concurrent first activation won the one-active constraint
            better, fields["note"] = False, "another training run activated a version meanwhile"
            version = ModelVersion.objects.create(is_active=False, **fields)
    forget_models()
    reason = f"top-1 {acc[1]:.3f} top-3 {acc[3]:.3f} on {len(holdout)} held-out" + (
        f" (active: {previous:.3f})" if previous is not None else ""
    )
    logger.info("Trained %s model %s: %s; %s", kind, version.pk, reason, "activated" if better else "kept inactive")
    return TrainResult(kind, version, better, reason)


def models_train(*, now: datetime | None = None) -> list[TrainResult]:
    """Both kinds from one read of the history (the nightly task and the command)."""
    rows = history_rows()
    return [model_train(kind=kind, rows=rows, now=now) for kind in (ModelKind.CATEGORY, ModelKind.UNIT)]
