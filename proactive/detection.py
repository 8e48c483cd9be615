"""The weekly early-warning run: volume anomalies against each series' own seasonal
baseline, and clusters of near-duplicate orders. Pure reads plus one upsert of the
week's Signal rows; safe to run twice at once (the week's DetectionRun row is locked).

Volume: per (minor category, street or grid, day) the day's count against the same
weekday of the previous BASELINE_WEEKS weeks (weekly seasonality is the strongest in
hotline traffic: Mondays carry the weekend's calls). Robust z = (x - median) / scale,
scale = 1.4826·MAD floored at √max(median, 1): a series that was flat at 0–1 per day
has MAD 0, and without a Poisson-like floor any single extra call would be "infinite".

Clusters: orders of the week in one (category, community) block (a street when the
community is unknown) linked when the duplicate search would offer one for the other
(workorders.services.duplicates: the same text and place similarity and thresholds),
connected components of at least CLUSTER_MIN orders. Blocking by community keeps the
pairwise work small; a cross-community pair only scores as a duplicate with near-
identical text anyway (place 0.3 at most).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from proactive.models import DetectionRun, SeasonalPlan, Signal, SignalKind
from workorders.models import WorkOrder
from workorders.services.duplicates import (
    MIN_SCORE,
    MIN_TEXT,
    PLACE_WEIGHT,
    TEXT_WEIGHT,
    Place,
    _place_words,
    place_similarity,
    text_similarity,
)

BASELINE_WEEKS = 8
THRESHOLD = 3.5  # robust z above which a day is a warning (Iglewicz & Hoaglin's 3.5)
MIN_COUNT = 5  # fewer orders than this on a day is never a warning, whatever the z
CLUSTER_MIN = 3
BLOCK_CAP = 400  # orders per block compared pairwise; the most recent are kept


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


@dataclass
class Found:
    kind: str
    key: str
    category_id: int | None
    place_id: int | None
    day: date | None
    count: int
    baseline: float
    score: float
    seasonal: bool
    level: int
    order_ids: list[int] = field(default_factory=list)


def robust_z(x: int, history: list[int]) -> tuple[float, float]:
    """(z, median) of x against its history, with the floor explained above."""
    med = statistics.median(history) if history else 0.0
    mad = statistics.median([abs(h - med) for h in history]) if history else 0.0
    scale = max(1.4826 * mad, max(med, 1.0) ** 0.5)
    return (x - med) / scale, float(med)


def _plans_by_category() -> dict[int, list[SeasonalPlan]]:
    plans: dict[int, list[SeasonalPlan]] = defaultdict(list)
    for plan in SeasonalPlan.objects.all():
        plans[plan.category_id].append(plan)
    return plans


def _volume(week: date, plans: dict[int, list[SeasonalPlan]]) -> list[Found]:
    start = _local_midnight(week - timedelta(weeks=BASELINE_WEEKS))
    end = _local_midnight(week + timedelta(days=7))
    found = []
    for level_field in ("street_id", "grid_id"):
        rows = (
            WorkOrder.objects.filter(created_at__gte=start, created_at__lt=end, category__isnull=False)
            .exclude(**{level_field: None})
            .annotate(day=TruncDate("created_at"))
            .values("category_id", level_field, "day")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts = {(r["category_id"], r[level_field], r["day"]): r["n"] for r in rows}
        for (cat, place, day), n in counts.items():
            if day < week or n < MIN_COUNT:
                continue
            history = [counts.get((cat, place, day - timedelta(weeks=k)), 0) for k in range(1, BASELINE_WEEKS + 1)]
            z, med = robust_z(n, history)
            seasonal = any(p.covers(day) for p in plans.get(cat, ()))
            threshold = min([p.threshold for p in plans.get(cat, ()) if p.covers(day)] or [THRESHOLD])
            if z < threshold:
                continue
            level = (2 if z >= 2 * threshold else 1) + (1 if seasonal else 0)
            found.append(
                Found(
                    SignalKind.VOLUME,
                    f"v:{level_field[0]}:{cat}:{place}:{day.isoformat()}",
                    cat,
                    place,
                    day,
                    n,
                    med,
                    round(z, 2),
                    seasonal,
                    level,
                )
            )
    if found:
        # The orders behind each finding, in one query per place level.
        wanted = defaultdict(list)
        for f in found:
            wanted[f.key[2]].append(f)
        for letter, group in wanted.items():
            fld = "street_id" if letter == "s" else "grid_id"
            index = {(f.category_id, f.place_id, f.day): f for f in group}
            qs = (
                WorkOrder.objects.filter(created_at__gte=_local_midnight(week), created_at__lt=end)
                .filter(
                    **{f"{fld}__in": {f.place_id for f in group}, "category_id__in": {f.category_id for f in group}}
                )
                .annotate(day=TruncDate("created_at"))
                .values_list("pk", "category_id", fld, "day")
            )
            for pk, cat, place, day in qs:
                f = index.get((cat, place, day))
                if f is not None:
                    f.order_ids.append(pk)
    return found


def _root(parent: list[int], i: int) -> int:
    """Union-find with path halving: the components are the clusters."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _clusters(week: date, plans: dict[int, list[SeasonalPlan]]) -> list[Found]:
    start, end = _local_midnight(week), _local_midnight(week + timedelta(days=7))
    rows = list(
        WorkOrder.objects.filter(created_at__gte=start, created_at__lt=end, parent__isnull=True)
        .only("pk", "title", "description", "address", "street_id", "community_id", "grid_id", "category_id")
        .order_by("-created_at")
    )
    blocks: dict[tuple, list[WorkOrder]] = defaultdict(list)
    for o in rows:
        if o.community_id or o.street_id:
            blocks[(o.category_id, o.community_id or f"s{o.street_id}")].append(o)
    found = []
    for (cat, where), block in blocks.items():
        if len(block) < CLUSTER_MIN:
            continue
        block = block[:BLOCK_CAP]
        texts = [f"{o.title} {o.description}" for o in block]
        words = [_place_words(o.address) for o in block]
        places = [Place(o.street_id, o.community_id, o.grid_id, o.address) for o in block]
        parent = list(range(len(block)))
        root = partial(_root, parent)
        for i in range(len(block)):
            for j in range(i + 1, len(block)):
                if root(i) == root(j):
                    continue
                t = text_similarity(texts[i], texts[j], ignore=tuple({words[i], words[j]} - {""}))
                if t < MIN_TEXT:
                    continue
                if TEXT_WEIGHT * t + PLACE_WEIGHT * place_similarity(places[i], block[j]) >= MIN_SCORE:
                    parent[root(j)] = root(i)
        groups: dict[int, list[WorkOrder]] = defaultdict(list)
        for i, o in enumerate(block):
            groups[root(i)].append(o)
        for members in groups.values():
            if len(members) < CLUSTER_MIN:
                continue
            ids = sorted(o.pk for o in members)
            seasonal = any(p.covers(week) or p.covers(week + timedelta(days=6)) for p in plans.get(cat, ()))
            level = (2 if len(ids) >= 2 * CLUSTER_MIN else 1) + (1 if seasonal else 0)
            place_id = members[0].community_id or members[0].street_id
            found.append(
                Found(
                    SignalKind.CLUSTER,
                    f"c:{cat}:{where}:{ids[0]}",  # the earliest order names the cluster across reruns
                    cat,
                    place_id,
                    None,
                    len(ids),
                    0.0,
                    float(len(ids)),
                    seasonal,
                    level,
                    ids,
                )
            )
    return found


def signals_detect(*, week: date) -> int:
    """(Re)compute the week's signals; returns how many. Existing rows of the week are
    updated in place (topics keep pointing at them), vanished ones deleted."""
    week = week_start(week)
    DetectionRun.objects.get_or_create(week=week)
    with transaction.atomic():
        run = DetectionRun.objects.select_for_update().get(week=week)
        plans = _plans_by_category()
        found = _volume(week, plans) + _clusters(week, plans)
        existing = {s.key: s for s in Signal.objects.filter(week=week)}
        Signal.objects.filter(week=week).exclude(key__in=[f.key for f in found]).delete()
        through = Signal.orders.through
        for f in found:
            values = dict(
                kind=f.kind,
                category_id=f.category_id,
                place_id=f.place_id,
                day=f.day,
                count=f.count,
                baseline=f.baseline,
                score=f.score,
                seasonal=f.seasonal,
                level=f.level,
            )
            signal = existing.get(f.key)
            if signal is None:
                signal = Signal.objects.create(week=week, key=f.key, **values)
            else:
                Signal.objects.filter(pk=signal.pk).update(**values)
                through.objects.filter(signal_id=signal.pk).delete()
            through.objects.bulk_create([through(signal_id=signal.pk, workorder_id=pk) for pk in f.order_ids])
        run.finished_at = timezone.now()
        run.signals = len(found)
        run.save(update_fields=["finished_at", "signals"])
    return len(found)
