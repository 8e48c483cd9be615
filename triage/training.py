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
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from triage.models import ModelKind, ModelVersion
from triage.services import forget_models, meta_tokens, sample_text
from workorders.choices import Status
from workorders.models import Event, WorkOrder

logger = logging.getLogger(__name__)

HOLDOUT_SHARE = 0.2
# The newest fifth is held out, but never more than this: 20 000 orders measure top-1 to
# ±0.6 points, and a million-order history need not hold 200 000 rows in memory.
HOLDOUT_MAX = 20_000
CHUNK = 5_000  # orders read, hashed and counted at a time (bounded memory, any history)
CORRECTED_WEIGHT = 3.0
CORRECTION_KINDS = ("reclassify", "reassign")
SIGNED = (Status.IN_PROGRESS, Status.REPLIED, Status.CALLBACK, Status.CLOSED)
NOT_LABELLED = (Status.SUBMITTED, Status.REJECTED, Status.MERGED)
KINDS = (ModelKind.CATEGORY, ModelKind.UNIT)


@dataclass
class Row:
    created_at: datetime
    text: str
    meta: str
    category: str
    unit: str | None
    weight: float

    def label(self, kind: str) -> str | None:
        return self.category if kind == ModelKind.CATEGORY else self.unit


@dataclass
class TrainResult:
    kind: str
    version: ModelVersion | None
    activated: bool
    reason: str


def _labelled():
    """Orders whose label is known, within the optional HOTLINE_TRAIN_MAX_ORDERS newest."""
    qs = WorkOrder.objects.filter(category__isnull=False).exclude(status__in=NOT_LABELLED)
    cap = settings.HOTLINE_TRAIN_MAX_ORDERS
    if cap:
        oldest = qs.order_by("-created_at").values_list("created_at", flat=True)[cap - 1 : cap].first()
        if oldest is not None:
            qs = qs.filter(created_at__gte=oldest)
    return qs


def history_stream(*, chunk: int = CHUNK) -> Iterator[list[Row]]:
    """The labelled history, oldest first, ``chunk`` rows at a time (the database
    cursor streams: memory holds one chunk, not the history)."""
    # Corrections are few next to orders: one indexed read of their order ids.
    corrected = set(Event.objects.filter(kind__in=CORRECTION_KINDS).values_list("order_id", flat=True))
    qs = (
        _labelled()
        .order_by("created_at", "pk")
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
        )
    )
    out: list[Row] = []
    for pk, created, title, description, channel, street, community, code, lead, status in qs.iterator(
        chunk_size=chunk
    ):
        out.append(
            Row(
                created_at=created,
                text=sample_text(title, description),
                meta=meta_tokens(channel=channel, street_id=street, community_id=community),
                category=code,
                unit=str(lead) if lead and status in SIGNED else None,
                weight=CORRECTED_WEIGHT if pk in corrected else 1.0,
            )
        )
        if len(out) >= chunk:
            yield out
            out = []
    if out:
        yield out


def _chunks(rows: list[Row], size: int = CHUNK) -> Iterator[list[Row]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _holdout_size(total: int) -> int:
    return min(max(int(total * HOLDOUT_SHARE), 1), HOLDOUT_MAX) if total > 1 else 0


def model_train(*, kind: str, rows: list[Row] | None = None, now: datetime | None = None) -> TrainResult:
    """Train one kind on the history (or on ``rows``); keep the version; activate it if
    not worse than the active one."""
    if rows is None:
        return models_train(now=now, kinds=(kind,))[0]
    classes = {kind: Counter(r.label(kind) for r in rows if r.label(kind))}
    return _train((kind,), _chunks(rows), total=len(rows), classes=classes, now=now)[0]


def _history_classes() -> dict[str, dict[str, int]]:
    """The labels the history holds and how many orders each, read before streaming it:
    partial_fit needs the class set on its first call, and the class balance needs the
    counts. Two grouped reads, whatever the history's size."""
    qs = _labelled().order_by()  # no default ordering in the GROUP BY
    units = qs.filter(status__in=SIGNED, lead_unit__isnull=False).values_list("lead_unit_id").annotate(n=Count("pk"))
    return {
        ModelKind.CATEGORY: dict(qs.values_list("category__code").annotate(n=Count("pk"))),
        ModelKind.UNIT: {str(u): n for u, n in units},
    }


def models_train(*, now: datetime | None = None, kinds: tuple[str, ...] = KINDS) -> list[TrainResult]:
    """Both kinds from one streamed read of the whole history (the nightly task and
    the command)."""
    total = _labelled().count()
    classes = _history_classes() if total >= settings.HOTLINE_TRAIN_MIN_ORDERS else {}
    return _train(kinds, history_stream(), total=total, classes=classes, now=now)


def _train(kinds, chunks: Iterable[list[Row]], *, total: int, classes: dict, now: datetime | None) -> list[TrainResult]:
    """One pass: the oldest ``total - holdout`` rows are counted into one trainer per
    kind, chunk by chunk (memory: one chunk plus the counts); the newest are kept to
    measure, calibrate and finally count too."""
    from triage import model as ml

    now = now or timezone.now()
    minimum = settings.HOTLINE_TRAIN_MIN_ORDERS
    if total < minimum:
        reason = f"cold start: {total} labelled orders, need {minimum}"
        return [TrainResult(kind, None, False, reason) for kind in kinds]
    started = time.monotonic()
    cut = total - _holdout_size(total)
    trainers = {kind: ml.Trainer(classes.get(kind) or {}) for kind in kinds}
    holdout: list[Row] = []
    seen = 0
    last = None
    for chunk in chunks:
        if not chunk:
            continue
        last = chunk[-1].created_at
        train_part = chunk[: max(0, cut - seen)]
        holdout.extend(chunk[len(train_part) :])
        seen += len(chunk)
        if not train_part:
            continue
        x = ml.features([r.text for r in train_part], [r.meta for r in train_part])
        for kind in kinds:
            keep = [i for i, r in enumerate(train_part) if r.label(kind) in trainers[kind].known]
            trainers[kind].update(
                x[keep], [train_part[i].label(kind) for i in keep], [train_part[i].weight for i in keep]
            )
    x_hold = ml.features([r.text for r in holdout], [r.meta for r in holdout]) if holdout else None
    results = []
    for kind in kinds:
        trainer = trainers[kind]
        keep = [i for i, r in enumerate(holdout) if r.label(kind) in trainer.known]
        y_hold = [holdout[i].label(kind) for i in keep]
        n = trainer.seen + len(y_hold)
        if n < minimum or len(trainer.known) < 2 or not trainer.seen:
            results.append(TrainResult(kind, None, False, f"cold start: {n} labelled orders, need {minimum}"))
            continue
        results.append(
            _judge_and_keep(
                kind,
                trainer,
                x_hold[keep],
                y_hold,
                [holdout[i].weight for i in keep],
                hold_rows=[holdout[i] for i in keep],
                now=now,
                started=started,
                trained_until=last,
            )
        )
    return results


def _judge_and_keep(kind, trainer, x_hold, y_hold, w_hold, *, hold_rows, now, started, trained_until) -> TrainResult:
    from triage import model as ml

    candidate = trainer.classifier()
    n_hold = len(y_hold)
    hits = ml.topk_hits(candidate, x_hold, y_hold) if n_hold else {1: 0, 3: 0}
    acc = {k: (hits[k] / n_hold if n_hold else 0.0) for k in (1, 3)}
    # Temperature on the held-out part, next to the share of wrong labels there
    # (ml.calibrate): it changes no ranking, so the accuracy above stays the honest
    # split figure.
    temperature, noise = ml.calibrate(candidate, x_hold, y_hold) if n_hold else (1.0, 0.0)
    current = ModelVersion.objects.filter(kind=kind, is_active=True).first()
    previous = None
    if current is not None and n_hold:
        from triage.services import classifier

        active_clf = classifier(current.pk)
        # A model saved with other character grams is judged on its own features.
        x_prev = (
            active_clf.features([r.text for r in hold_rows], [r.meta for r in hold_rows])
            if active_clf.legacy
            else x_hold
        )
        previous = ml.topk_hits(active_clf, x_prev, y_hold)[1] / n_hold
    better = previous is None or acc[1] >= previous
    trained_on = trainer.seen
    if better and n_hold:
        # The accepted model learns from everything, the held-out part (newest orders and
        # corrections) included: Naive Bayes counts add up, so this is exactly the model
        # a fit on the whole history gives. Its recorded accuracy is the split model's.
        trainer.update(x_hold, y_hold, w_hold)
        trained_on = trainer.seen
    final = trainer.classifier(temperature)
    blob = final.dumps()
    fields = dict(
        kind=kind,
        created_at=now,
        trained_on=trained_on,
        trained_until=trained_until,
        holdout_size=n_hold,
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
    reason = (
        f"top-1 {acc[1]:.3f} top-3 {acc[3]:.3f} on {n_hold} held-out"
        + (f" (active: {previous:.3f})" if previous is not None else "")
        + f"; temperature {temperature:.4f}, labels wrong ~{noise:.1%}"
    )
    logger.info("Trained %s model %s: %s; %s", kind, version.pk, reason, "activated" if better else "kept inactive")
    return TrainResult(kind, version, better, reason)
