"""Training at scale: a million-order history through the trainer, with its time and
peak memory.

    .venv/bin/python bench/dispatch_train_scale.py [--orders 1000000]

The history is generated (workorders/demo/corpus.py, all 65 categories, 5 % label
noise) and fed chunk by chunk to the same one-pass trainer the nightly task runs
(triage.training._train: hashing, Naive Bayes counts per chunk, the newest 20 000 held
out to measure and calibrate, then counted too, the version saved and activated). The
orders are not written to a database first: inserting a million rows would take longer
than the training; the database cursor's share is measured apart, on the same rows'
shape, by bench/dispatch_model.py's history (``history_stream``). Peak RSS is the
process's maximum resident set (ru_maxrss) over the run; the run happens in a fresh
process after migrate, so the figure is the trainer's plus Django's.
Writes bench/results/dispatch_train_scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = ROOT / "var" / "bench_dispatch_scale.sqlite3"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--label-noise", type=float, default=0.05)
    args = parser.parse_args()
    DB.parent.mkdir(exist_ok=True)
    DB.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from grids.models import UnitKind
    from triage.models import ModelKind
    from triage.services import classifier, forget_models, meta_tokens, sample_text
    from triage.training import CHUNK, Row, _train
    from workorders.demo import corpus
    from workorders.demo.seed import seed_categories, seed_units

    units = seed_units()
    categories = seed_categories(units)
    communities = [u for u in units.values() if u.kind == UnitKind.COMMUNITY]
    names = [c.name for c in categories]
    weights = [1.0 / (1 + i) ** 0.7 for i in range(len(categories))]
    random.Random(99).shuffle(weights)
    now = timezone.now()
    n = args.orders
    codes = [c.code for c in categories]

    def plan():
        """(category, community, label, unit) per order, the same sequence each call
        (regenerated rather than kept: a million tuples would inflate the peak RSS)."""
        rng = random.Random(7)
        for _ in range(n):
            cat = rng.choices(categories, weights)[0]
            com = rng.choice(communities)
            label = cat.code if rng.random() >= args.label_noise else rng.choice(codes)
            unit = str(cat.department_id if cat.routing == "department" else com.parent_id)
            yield cat, com, label, unit

    # The class counts the trainer reads first (two GROUP BY queries in production).
    counts = {ModelKind.CATEGORY: {}, ModelKind.UNIT: {}}
    for _cat, _com, label, unit in plan():
        counts[ModelKind.CATEGORY][label] = counts[ModelKind.CATEGORY].get(label, 0) + 1
        counts[ModelKind.UNIT][unit] = counts[ModelKind.UNIT].get(unit, 0) + 1
    generated = [0.0]

    def chunks():
        text_rng = random.Random(8)
        start = now - timedelta(days=3 * 365)
        orders = plan()
        for i in range(0, n, CHUNK):
            t = time.monotonic()
            out = []
            for j, (cat, com, label, unit) in zip(range(i, min(i + CHUNK, n)), orders, strict=False):
                desc = corpus.description(cat.name, text_rng, others=names)
                title = corpus.title(cat.name, text_rng, desc)
                out.append(
                    Row(
                        created_at=start + timedelta(seconds=j * 90),
                        text=sample_text(title, desc),
                        meta=meta_tokens(channel="hotline", street_id=com.parent_id, community_id=com.pk),
                        category=label,
                        unit=unit,
                        weight=1.0,
                    )
                )
            generated[0] += time.monotonic() - t
            if i % 100_000 == 0:
                print(f"[{time.strftime('%H:%M:%S')}] {i} orders", file=sys.stderr, flush=True)
            yield out

    rss_before = rss_mb()
    cpu_before = cpu_seconds()
    started = time.monotonic()
    results = _train((ModelKind.CATEGORY, ModelKind.UNIT), chunks(), total=n, classes=counts, now=now)
    wall = time.monotonic() - started
    cpu = cpu_seconds() - cpu_before
    out = {
        "orders": n,
        "wall_seconds_total": round(wall, 1),
        "generation_seconds_inside": round(generated[0], 1),
        "wall_seconds_training": round(wall - generated[0], 1),
        "cpu_seconds_total": round(cpu, 1),
        "peak_rss_mb": round(rss_mb(), 0),
        "rss_before_training_mb": round(rss_before, 0),
        "versions": {
            r.kind: {
                "activated": r.activated,
                "reason": r.reason,
                "trained_on": r.version.trained_on if r.version else None,
                "model_mb": round(len(r.version.blob) / 1e6, 1) if r.version else None,
            }
            for r in results
        },
    }
    forget_models()
    t = time.monotonic()
    for r in results:
        classifier(r.version.pk)
    out["load_seconds_both"] = round(time.monotonic() - t, 2)
    out["cpu_count"] = os.cpu_count()
    out["load_average"] = os.getloadavg()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    (ROOT / "bench" / "results" / "dispatch_train_scale.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
