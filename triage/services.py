"""Ranked category and unit suggestions for a text, from the active learned model, or
from the weighted keyword rules while there is not enough history (cold start).

The answer is always a closed set: only minor categories and units that exist and are
active now; the model's probabilities over what remains are renormalised to sum to 1.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from grids.models import OrgUnit, UnitKind
from hotline.process_cache import ProcessCache
from triage import keywords
from triage.models import DispatchThreshold, ModelKind, ModelVersion, VerdictCode
from workorders.choices import Channel, Routing
from workorders.models import Category

if TYPE_CHECKING:
    from dispatch.models import Reason
    from triage.scoring import Scorer

logger = logging.getLogger(__name__)

DISPATCHABLE = (UnitKind.CENTER, UnitKind.DEPARTMENT, UnitKind.STREET, UnitKind.COMMUNITY)
MODEL = "model"
KEYWORDS = "keywords"


@dataclass(frozen=True)
class Ranked:
    id: int
    code: str
    name: str
    confidence: float
    method: str  # "model" or "keywords" (units: "model" or "rules")


@dataclass
class Suggestions:
    categories: list[Ranked] = field(default_factory=list)
    units: list[Ranked] = field(default_factory=list)
    method: str = KEYWORDS
    versions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Catalogue:
    categories: dict[str, Category]  # code → active minor category
    units: dict[int, OrgUnit]  # id → active dispatchable unit
    terms: dict[str, list[keywords.Term]]


def _load_catalogue() -> _Catalogue:
    cats = {
        c.code: c
        for c in Category.objects.filter(parent__isnull=False, is_active=True, parent__is_active=True).select_related(
            "department", "parent"
        )
    }
    units = {u.pk: u for u in OrgUnit.objects.filter(is_active=True, kind__in=DISPATCHABLE)}
    terms = keywords.build_terms([(c.code, c.name, c.keywords) for c in cats.values()])
    return _Catalogue(cats, units, terms)


_catalogue = ProcessCache("triage-catalogue", _load_catalogue, senders=[Category, OrgUnit])


def _load_active() -> dict[str, int]:
    return dict(ModelVersion.objects.filter(is_active=True).values_list("kind", "pk"))


_active = ProcessCache("triage-active-models", _load_active, senders=[ModelVersion], stale_after=30.0)
_loaded: dict[int, Scorer] = {}  # version id → its scorer, kept for the process's life
_load_lock = threading.Lock()


def classifier(version_id: int) -> Scorer:
    """The fitted classifier of a version, loaded once per process: a
    ``triage.scoring.Scorer``, which scores in plain Python (no NumPy, SciPy or
    scikit-learn in the processes that route; training and benches call its
    ``features``/``margins`` with SciPy matrices as before)."""
    clf = _loaded.get(version_id)
    if clf is None:
        with _load_lock:
            clf = _loaded.get(version_id)
            if clf is None:
                from triage import scoring

                started = time.monotonic()
                blob = ModelVersion.objects.values_list("blob", flat=True).get(pk=version_id)
                clf = scoring.loads(blob)
                # Versions no longer active are dropped; the other kind's active model
                # stays (clearing everything here reloaded both models on every
                # suggestion, ~0.5 s each, once a category and a unit model were active).
                keep = set(_active.get().values()) | {version_id}
                for stale in [v for v in _loaded if v not in keep]:
                    del _loaded[stale]
                _loaded[version_id] = clf
                logger.info("Loaded dispatch model %s in %.2f s", version_id, time.monotonic() - started)
    return clf


def meta_tokens(*, channel: str, street_id: int | None, community_id: int | None) -> str:
    """The non-text features, as the training rows write them."""
    return f"ch:{channel or '-'} st:{street_id or '-'} co:{community_id or '-'}"


def sample_text(title: str, description: str) -> str:
    title, description = (title or "").strip(), (description or "").strip()
    return description if not title or description.startswith(title) else f"{title}。{description}"


def _closed(classes: list[str], logits, allowed: dict, limit: int, key=lambda c: c) -> list[tuple[object, float]]:
    """Keep only allowed classes and renormalise (softmax over their logits), best first."""
    kept = [(allowed[key(c)], float(z)) for c, z in zip(classes, logits, strict=True) if key(c) in allowed]
    if not kept:
        return []
    top = max(z for _, z in kept)
    e = [math.exp(z - top) for _, z in kept]
    total = math.fsum(e)
    ranked = sorted(((obj, v / total) for (obj, _), v in zip(kept, e, strict=True)), key=lambda pair: -pair[1])
    return ranked[:limit]


def _rule_units(cats: list[Ranked], catalogue: _Catalogue, street_id: int | None, limit: int) -> list[Ranked]:
    """Units the categories' own routing points at, weighted by the categories' confidence."""
    scores: dict[int, float] = {}
    for r in cats:
        cat = catalogue.categories[r.code]
        unit_id = cat.department_id if cat.routing == Routing.DEPARTMENT else street_id
        if unit_id in catalogue.units:
            scores[unit_id] = scores.get(unit_id, 0.0) + r.confidence
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])[:limit]
    return [
        Ranked(uid, catalogue.units[uid].code, catalogue.units[uid].name, round(s, 3), "rules") for uid, s in ranked
    ]


def triage_suggest(
    *,
    text: str,
    title: str = "",
    channel: str = "",
    street_id: int | None = None,
    community_id: int | None = None,
    limit: int = 3,
) -> Suggestions:
    """Ranked categories and handling units for what a caller said."""
    catalogue = _catalogue.get()
    full = sample_text(title, text)
    out = Suggestions()
    if not full.strip() or not catalogue.categories:
        return out
    active = _active.get()
    meta = meta_tokens(channel=channel, street_id=street_id, community_id=community_id)
    xs: dict[bool, dict[int, float]] = {}  # the hashed features per kind of grams: computed once

    def rows(clf):
        if clf.legacy not in xs:
            xs[clf.legacy] = clf.rows([full], [meta])[0]
        return xs[clf.legacy]

    if ModelKind.CATEGORY in active:
        clf = classifier(active[ModelKind.CATEGORY])
        x = rows(clf)
        logits = [m / clf.temperature for m in clf.scores(x)]
        out.method = MODEL
        out.versions[ModelKind.CATEGORY] = active[ModelKind.CATEGORY]
        out.categories = [
            Ranked(c.pk, c.code, c.name, round(p, 3), MODEL)
            for c, p in _closed(clf.classes, logits, catalogue.categories, limit)
        ]
    else:
        out.categories = [
            Ranked(catalogue.categories[code].pk, code, catalogue.categories[code].name, share, KEYWORDS)
            for code, share in keywords.ranked(full, catalogue.terms, limit)
        ]
    if ModelKind.UNIT in active:
        clf = classifier(active[ModelKind.UNIT])
        x = rows(clf)
        logits = [m / clf.temperature for m in clf.scores(x)]
        out.versions[ModelKind.UNIT] = active[ModelKind.UNIT]
        out.units = [
            Ranked(u.pk, u.code, u.name, round(p, 3), MODEL)
            for u, p in _closed(clf.classes, logits, catalogue.units, limit, key=int)
        ]
    else:
        out.units = _rule_units(out.categories, catalogue, street_id, limit)
    return out


def triage_suggest_categories(
    *, text: str, title: str = "", query: str = "", limit: int = 8
) -> list[tuple[Category, float]]:
    """(category, confidence) best first among active minor categories: the model's
    ranking of a hotline text (the weighted keyword rules until there is a model),
    narrowed by what a person typed in the search box (``query``: code, name, keywords
    or major class), where categories the model did not rank come last."""
    query = (query or "").strip()
    ranked = triage_suggest(text=text or "", title=title, channel=Channel.HOTLINE, limit=limit if not query else 65)
    by_id = {c.pk: c for c in Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent")}
    out = [(by_id[r.id], r.confidence) for r in ranked.categories if r.id in by_id]
    if query:
        hits = [
            c
            for c in by_id.values()
            if query in c.name or query in c.code or query in (c.keywords or "") or query in c.parent.name
        ]
        conf = dict((c.pk, p) for c, p in out)
        out = sorted(((c, conf.get(c.pk, 0.0)) for c in hits), key=lambda cp: (-cp[1], cp[0].code))
    return out[:limit]


def category_confidence(suggestions: Suggestions, category_id: int) -> float:
    return next((r.confidence for r in suggestions.categories if r.id == category_id), 0.0)


def unit_confidence(suggestions: Suggestions, unit_id: int) -> float:
    return next((r.confidence for r in suggestions.units if r.id == unit_id), 0.0)


def forget_models() -> None:
    """Drop the per-process caches (after training in this process, and in tests)."""
    _active.forget()
    _catalogue.forget()
    _loaded.clear()


def _load_thresholds() -> dict[int, float]:
    return dict(DispatchThreshold.objects.values_list("category_id", "threshold"))


_thresholds = ProcessCache("triage-thresholds", _load_thresholds, senders=[DispatchThreshold])


def threshold_for(category_id: int) -> float:
    """The confidence auto-dispatch needs for this category (admin row, else the setting)."""
    from django.conf import settings

    return _thresholds.get().get(category_id, settings.HOTLINE_AUTO_DISPATCH_THRESHOLD)


@dataclass(frozen=True)
class Verdict:
    """Whether the model backs the routing rules' choice for an order."""

    agrees: bool
    reason: Reason
    suggestions: Suggestions


def triage_check_route(*, order, unit_id: int | None) -> Verdict:
    """Does the model agree with the order's category and the rules' unit, each at or
    above the category's threshold? At cold start (no category model) the answer is
    yes with a ``cold_start`` reason: the rules route alone, as before there was a model."""
    s = triage_suggest(
        text=order.description,
        title=order.title,
        channel=order.channel,
        street_id=order.street_id,
        community_id=order.community_id,
        limit=5,
    )
    top3 = [[r.code, r.name, r.confidence] for r in s.categories[:3]]
    if s.method != MODEL:
        return Verdict(True, {"code": VerdictCode.COLD_START.value}, s)
    threshold = threshold_for(order.category_id)
    p_cat = category_confidence(s, order.category_id)
    top_cat = s.categories[0].id if s.categories else None
    checks = [top_cat == order.category_id and p_cat >= threshold]
    p_unit = None
    if ModelKind.UNIT in s.versions and unit_id is not None:
        p_unit = unit_confidence(s, unit_id)
        top_unit = s.units[0].id if s.units else None
        checks.append(top_unit == unit_id and p_unit >= threshold)
    agrees = all(checks) and threshold < 1.0  # 1 means: never without a person
    if agrees:
        code = VerdictCode.AGREES
    elif top_cat != order.category_id or (p_unit is not None and s.units and s.units[0].id != unit_id):
        code = VerdictCode.DISAGREES
    else:
        code = VerdictCode.UNSURE
    reason: Reason = {
        "code": code.value,
        "category_confidence": round(p_cat, 3),
        "unit_confidence": None if p_unit is None else round(p_unit, 3),
        "threshold": threshold,
        "categories": top3,
        "versions": s.versions,
    }
    return Verdict(agrees, reason, s)
