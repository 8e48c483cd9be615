"""Dispatch model benchmark: train on a generated month, then measure suggestion
latency, model load time, training time and peak memory, accuracy on the held-out
evaluation set (bench/eval/complaints.jsonl, when present) and auto-dispatch share and
precision on a simulated month.

    .venv/bin/python bench/dispatch_model.py [--train 30000] [--month 3000]

Runs on a SQLite database of its own under var/ (the demo district's units and
categories), through the same code as production: triage.training.model_train for
training, triage.services.triage_suggest for suggestions, triage_check_route for the
router's decision. The evaluation set is read, never printed: only aggregates leave.
The training and simulated-month texts come from the demo generator
(workorders/demo/corpus.py), so accuracy on them is not a claim about real text; the
evaluation set, written independently, is.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = ROOT / "var" / "bench_dispatch_model.sqlite3"
EVAL = ROOT / "bench" / "eval" / "complaints.jsonl"


def setup() -> None:
    DB.parent.mkdir(exist_ok=True)
    DB.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def step(what: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def world():
    from grids.models import UnitKind
    from workorders.demo.seed import seed_categories, seed_units

    units = seed_units()
    categories = seed_categories(units)
    communities = [u for u in units.values() if u.kind == UnitKind.COMMUNITY]
    return categories, communities


def truth(category, community) -> int:
    return category.department_id if category.routing == "department" else community.parent_id


def generate(n: int, seed: int, categories, communities, now):
    """n orders: (category, community, title, description, created_at)."""
    from workorders.demo import corpus

    rng = random.Random(seed)
    names = [c.name for c in categories]
    out = []
    for i in range(n):
        cat = rng.choice(categories)
        com = rng.choice(communities)
        desc = corpus.description(cat.name, rng, others=names)
        out.append((cat, com, corpus.title(cat.name, rng, desc), desc, now - timedelta(days=30) * (1 - i / n)))
    return out


def train(orders) -> dict:
    from triage.models import ModelKind
    from triage.services import meta_tokens, sample_text
    from triage.training import Row, model_train

    rows = [
        Row(
            created_at=at,
            text=sample_text(title, desc),
            meta=meta_tokens(channel="hotline", street_id=com.parent_id, community_id=com.pk),
            category=cat.code,
            unit=str(truth(cat, com)),
            weight=1.0,
        )
        for cat, com, title, desc, at in orders
    ]
    out = {}
    for kind in (ModelKind.CATEGORY, ModelKind.UNIT):
        started = time.monotonic()
        result = model_train(kind=kind, rows=rows)
        out[kind] = {
            "seconds": round(time.monotonic() - started, 1),
            "holdout_top1": round(result.version.top1, 4),
            "holdout_top3": round(result.version.top3, 4),
            "model_mb": round(len(result.version.blob) / 1e6, 1),
            "version": result.version.pk,
        }
    out["peak_rss_mb"] = round(rss_mb(), 0)
    return out


def load_time(versions: list[int]) -> float:
    from triage.services import classifier, forget_models

    forget_models()
    started = time.monotonic()
    for v in versions:
        classifier(v)
    return round(time.monotonic() - started, 2)


def latency(orders) -> dict:
    from triage.services import triage_suggest

    times = []
    for _cat, com, title, desc, _at in orders:
        started = time.perf_counter()
        triage_suggest(text=desc, title=title, channel="hotline", street_id=com.parent_id, community_id=com.pk)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * len(times))], 1),
    }


def evaluate(categories) -> dict:
    """Top-1/top-3/no-suggestion on the independent set; aggregates only."""
    if not EVAL.exists():
        return {"skipped": f"{EVAL.relative_to(ROOT)} not present"}
    from triage import keywords
    from triage.services import triage_suggest

    by_key = {c.code: c.code for c in categories} | {c.name: c.code for c in categories}
    terms = keywords.build_terms([(c.code, c.name, c.keywords) for c in categories])
    counts = {"n": 0, "unlabelled": 0}
    hits = {"model": [0, 0, 0], "keywords": [0, 0, 0]}  # top1, top3, none
    with EVAL.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            text = rec.get("description") or rec.get("text") or ""
            label = by_key.get(str(rec.get("category") or rec.get("category_code") or rec.get("minor") or ""))
            if label is None:
                counts["unlabelled"] += 1
                continue
            counts["n"] += 1
            model = [r.code for r in triage_suggest(text=text, title=rec.get("title", ""), limit=3).categories]
            kw = [code for code, _share in keywords.ranked(text, terms, 3)]
            for name, ranked in (("model", model), ("keywords", kw)):
                hits[name][0] += bool(ranked) and ranked[0] == label
                hits[name][1] += label in ranked
                hits[name][2] += not ranked
    n = max(counts["n"], 1)
    return {
        **counts,
        **{
            name: {"top1": round(h[0] / n, 3), "top3": round(h[1] / n, 3), "no_suggestion": round(h[2] / n, 3)}
            for name, h in hits.items()
        },
    }


def simulate_month(orders, categories, operator_right: float, seed: int) -> dict:
    """The router's decision on each order of a month: the operator picks the right
    category with probability ``operator_right`` (else another one), the rules name the
    category's unit; an auto-dispatched order 'comes back' when its category or unit
    was wrong (it would be returned, reassigned or corrected)."""
    from triage.services import triage_check_route
    from workorders.models import WorkOrder

    rng = random.Random(seed)
    auto = back = 0
    for cat, com, title, desc, _at in orders:
        chosen = cat if rng.random() < operator_right else rng.choice([c for c in categories if c != cat])
        rule_unit = truth(chosen, com)
        order = WorkOrder(
            title=title,
            description=desc,
            channel="hotline",
            category=chosen,
            street_id=com.parent_id,
            community_id=com.pk,
        )
        if triage_check_route(order=order, unit_id=rule_unit).agrees:
            auto += 1
            back += chosen != cat or rule_unit != truth(cat, com)
    return {
        "orders": len(orders),
        "operator_right": operator_right,
        "auto_dispatched_share": round(auto / len(orders), 3),
        "came_back_share_of_auto": round(back / max(auto, 1), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", type=int, default=30_000, help="generated orders to train on (a month)")
    parser.add_argument("--month", type=int, default=3_000, help="orders in the simulated month")
    args = parser.parse_args()
    setup()
    from django.conf import settings
    from django.utils import timezone

    step("district")
    categories, communities = world()
    now = timezone.now()
    started = time.monotonic()
    history = generate(args.train, 1, categories, communities, now)
    generated = round(time.monotonic() - started, 1)
    step(f"training on {len(history)} orders")
    trained = train(history)
    del history
    result = {
        "train_orders": args.train,
        "generate_seconds": generated,
        "training": trained,
        "load_seconds": load_time([trained["category"]["version"], trained["unit"]["version"]]),
        "threshold": settings.HOTLINE_AUTO_DISPATCH_THRESHOLD,
    }
    month = generate(args.month, 2, categories, communities, now)
    step("latency")
    result["latency"] = latency(month[:500])
    step("evaluation set")
    result["eval"] = evaluate(categories)
    step("simulated month")
    result["month"] = [simulate_month(month, categories, p, seed=3) for p in (1.0, 0.9)]
    result["cpu_count"] = os.cpu_count()
    result["load_average"] = os.getloadavg()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    out = ROOT / "bench" / "results" / "dispatch_model.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
