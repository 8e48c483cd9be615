"""Dispatch model benchmark: accuracy of the learned suggestions and the keyword rules,
suggestion latency, model load, and auto-dispatch on a simulated month.

    .venv/bin/python bench/dispatch_model.py [--train 30000] [--month 3000] [--skip-month]
    .venv/bin/python bench/dispatch_model.py --unseen-calibration --skip-b > out.json
    .venv/bin/python bench/dispatch_model.py --skip-month --eval bench/eval/complaints.jsonl \
        --eval bench/eval/complaints_b.jsonl     # model B read on set A and set B

``--eval`` chooses the held-out set(s) model B is read on (repeatable; default set A,
bench/eval/complaints.jsonl). With other sets than the default the result goes to
bench/results/dispatch_model_<set>[_<set>…].json unless ``--out`` says otherwise.

``--unseen-calibration`` reads model A a second time with its temperature fitted on a
third split of unseen phrasings instead of the history's newest fifth (the reliability
table and the month again); ``--skip-b`` stops after model A (no model B, no eval set)
and only prints its JSON.

Runs on a SQLite database of its own under var/ (the demo district's units and
categories), through the same code as production: triage.training.model_train for
training, triage.services.triage_suggest for suggestions, triage_check_route for the
router's decision. Two models are trained from the demo generator
(workorders/demo/corpus.py):

- A, on the generator's "train" phrasings only. It is measured on texts built from the
  phrasings held out of it (``part="holdout"``: every fourth problem and detail of each
  category): our own held-out split, i.e. how the model does on ways of saying things it
  never saw. The simulated month uses model A on those unseen phrasings too, with label
  noise in the history and operators who pick the wrong category some of the time.
- B, on all phrasings (what the demo trains): measured on the independent evaluation
  set bench/eval/complaints.jsonl when present. That set is read, never printed: only
  aggregates (overall and per major category) leave this script.

Training time at a million orders is bench/dispatch_train_scale.py.
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


def generate(n: int, seed: int, categories, communities, now, *, part: str = "all"):
    """n orders: (category, community, title, description, created_at), categories drawn
    with uneven frequencies (as a real hotline's are: a few categories make most calls)."""
    from grids.models import AddressAlias
    from workorders.demo import corpus

    rng = random.Random(seed)
    names = [c.name for c in categories]
    weights = [1.0 / (1 + i) ** 0.7 for i in range(len(categories))]
    random.Random(99).shuffle(weights)
    aliases: dict[int, list[str]] = {}
    for a in AddressAlias.objects.values_list("community_id", "alias"):
        aliases.setdefault(a[0], []).append(a[1])
    out = []
    for i in range(n):
        cat = rng.choices(categories, weights)[0]
        com = rng.choice(communities)
        desc = corpus.description(cat.name, rng, others=names, part=part, places=aliases.get(com.pk))
        out.append((cat, com, corpus.title(cat.name, rng, desc), desc, now - timedelta(days=30) * (1 - i / n)))
    return out


def train(orders, *, label_noise: float = 0.0, seed: int = 5) -> dict:
    from triage.models import ModelKind
    from triage.services import meta_tokens, sample_text
    from triage.training import Row, model_train

    # Label noise: a share of the history ends up in a wrong category that nobody
    # corrected (the real history has these; the model must survive them).
    rng = random.Random(seed)
    codes = sorted({cat.code for cat, *_ in orders})
    rows = [
        Row(
            created_at=at,
            text=sample_text(title, desc),
            meta=meta_tokens(channel="hotline", street_id=com.parent_id, community_id=com.pk),
            category=cat.code if rng.random() >= label_noise else rng.choice(codes),
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


def own_holdout(orders, categories) -> dict:
    """Model and keyword rules on texts of phrasings the model never saw (aggregates,
    overall and per major category)."""
    from triage import keywords
    from triage.services import triage_suggest

    terms = keywords.build_terms([(c.code, c.name, c.keywords) for c in categories])
    records = [(cat.code, cat.parent.name, desc, title, com) for cat, com, title, desc, _at in orders]
    tops: list[tuple[float, bool]] = []  # (top-1 confidence, right?) for the reliability table
    labels = iter(label for label, *_ in records)

    def model(text, title, com):
        ranked = triage_suggest(
            text=text, title=title, channel="hotline", street_id=com.parent_id, community_id=com.pk
        ).categories
        label = next(labels)
        if ranked:
            tops.append((ranked[0].confidence, ranked[0].code == label))
        return [r.code for r in ranked]

    def rules(text, title, com):
        from triage.services import sample_text

        return [code for code, _share in keywords.ranked(sample_text(title, text), terms, 3)]

    out = {name: score(records, fn) for name, fn in (("model", model), ("keywords", rules))}
    out["reliability"] = reliability(tops)
    return out


def reliability(tops: list[tuple[float, bool]]) -> dict:
    """Is "0.8" right four times in five? Per 0.1-wide bin of the top-1 confidence: the
    orders in it and the share the model got right; and, per cutoff, the share right
    among all orders at or above it (what a threshold there would let through)."""
    bins, at_least = {}, {}
    for k in range(10):
        lo, hi = k / 10, (k + 1) / 10
        inside = [ok for c, ok in tops if lo <= c < hi or (k == 9 and c == 1.0)]
        above = [ok for c, ok in tops if c >= lo]
        if inside:
            bins[f"{lo:.1f}-{hi:.1f}"] = {"n": len(inside), "right": round(sum(inside) / len(inside), 3)}
        if above:
            at_least[f"{lo:.1f}"] = {"n": len(above), "right": round(sum(above) / len(above), 3)}
    confidences = [c for c, _ok in tops]
    return {
        "bins": bins,
        "at_or_above": at_least,
        "mean_confidence": round(statistics.mean(confidences), 3) if tops else None,
        "accuracy": round(sum(ok for _c, ok in tops) / len(tops), 3) if tops else None,
    }


def score(records, ranker) -> dict:
    """top-1 / top-3 / no-suggestion over (label, major, text, title, community) records."""
    totals: dict[str, list[int]] = {}
    for label, major, text, title, com in records:
        ranked = ranker(text, title, com)[:3]
        for key in ("all", major):
            t = totals.setdefault(key, [0, 0, 0, 0])
            t[0] += 1
            t[1] += bool(ranked) and ranked[0] == label
            t[2] += label in ranked
            t[3] += not ranked
    out = {}
    for key, (n, t1, t3, none) in totals.items():
        out[key] = {"n": n, "top1": round(t1 / n, 3), "top3": round(t3 / n, 3), "no_suggestion": round(none / n, 3)}
    return out


def latency(orders) -> dict:
    from triage.services import triage_suggest

    times, cpu = [], []
    for _cat, com, title, desc, _at in orders:
        started, cpu_started = time.perf_counter(), time.thread_time()
        triage_suggest(text=desc, title=title, channel="hotline", street_id=com.parent_id, community_id=com.pk)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
    times.sort()
    cpu.sort()
    # Wall time includes waiting for a core on a loaded machine; the thread's CPU time
    # is what one suggestion costs.
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * len(times))], 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": round(cpu[int(0.95 * len(cpu))], 1),
    }


def evaluate(categories, path: Path = EVAL) -> dict:
    """Top-1/top-3/no-suggestion on an independent set; aggregates only (overall and
    per major category), never an item."""
    if not path.exists():
        return {"skipped": f"{path} not present"}
    from triage import keywords
    from triage.services import sample_text, triage_suggest

    by_key = {c.code: c for c in categories} | {c.name: c for c in categories}
    terms = keywords.build_terms([(c.code, c.name, c.keywords) for c in categories])
    records = []
    unlabelled = 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            cat = by_key.get(str(rec.get("category") or ""))
            if cat is None:
                unlabelled += 1
                continue
            records.append(
                (cat.code, cat.parent.name, rec.get("text") or "", rec.get("title") or "", rec.get("channel") or "")
            )

    def model(text, title, channel):
        return [r.code for r in triage_suggest(text=text, title=title, channel=channel, limit=3).categories]

    def rules(text, title, channel):
        return [code for code, _share in keywords.ranked(sample_text(title, text), terms, 3)]

    return {
        "unlabelled": unlabelled,
        **{name: score(records, fn) for name, fn in (("model", model), ("keywords", rules))},
    }


THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def unseen_temperature(version_id: int, texts, categories) -> float:
    """What the temperature would be were it fitted on unseen phrasings (a split of its
    own, not the texts it is then measured on) instead of the history's newest fifth,
    whose phrasings the generator has all shown before. The model's ranking is the
    same; only what "0.8" means changes. Returns the stored temperature's replacement
    (the caller swaps it in for a second reading of the calibration and the month)."""
    from triage import model as ml
    from triage.services import classifier, meta_tokens, sample_text

    clf = classifier(version_id)
    codes = {c.pk: c.code for c in categories}
    x = ml.features(
        [sample_text(title, desc) for _cat, _com, title, desc, _at in texts],
        [meta_tokens(channel="hotline", street_id=com.parent_id, community_id=com.pk) for _c, com, *_ in texts],
    )
    return ml.temperature(clf, x, [codes[cat.pk] for cat, *_ in texts])


def simulate_month(orders, categories, operator_right: float, seed: int) -> dict:
    """The router's decision on each order of a month: the operator picks the right
    category with probability ``operator_right``; a wrong pick is, half the time, a
    neighbour in the same major category (the mistake people make), else any other. The
    rules name the chosen category's unit; an auto-dispatched order 'comes back' when its
    category or unit was wrong (the unit returns it or a dispatcher reassigns it).
    The router's check (triage_check_route) runs once per order at the configured
    threshold; the same suggestions give the decision at the other thresholds in
    THRESHOLDS (agreement on category and unit, each at or above the threshold)."""
    from triage.services import category_confidence, triage_check_route, unit_confidence
    from workorders.models import WorkOrder

    rng = random.Random(seed)
    auto = {t: 0 for t in THRESHOLDS}
    back = {t: 0 for t in THRESHOLDS}
    # Variant: the threshold on the category's confidence only, the unit model merely
    # not disagreeing with the rules' unit (its top unit is the rules' unit).
    auto_c = {t: 0 for t in THRESHOLDS}
    back_c = {t: 0 for t in THRESHOLDS}
    cat_conf: list[float] = []
    unit_conf: list[float] = []
    router_auto = router_back = 0
    by_major: dict[int, list] = {}
    for c in categories:
        by_major.setdefault(c.parent_id, []).append(c)
    for cat, com, title, desc, _at in orders:
        chosen = cat
        if rng.random() >= operator_right:
            near = [c for c in by_major[cat.parent_id] if c != cat]
            pool = near if near and rng.random() < 0.5 else [c for c in categories if c != cat]
            chosen = rng.choice(pool)
        rule_unit = truth(chosen, com)
        order = WorkOrder(
            title=title,
            description=desc,
            channel="hotline",
            category=chosen,
            street_id=com.parent_id,
            community_id=com.pk,
        )
        verdict = triage_check_route(order=order, unit_id=rule_unit)
        wrong = chosen != cat or rule_unit != truth(cat, com)
        router_auto += verdict.agrees
        router_back += verdict.agrees and wrong
        s = verdict.suggestions
        p_cat = category_confidence(s, chosen.pk)
        p_unit = unit_confidence(s, rule_unit)
        top_cat = s.categories[0].id == chosen.pk if s.categories else False
        top_unit = s.units[0].id == rule_unit if s.units else False
        cat_conf.append(s.categories[0].confidence if s.categories else 0.0)
        unit_conf.append(s.units[0].confidence if s.units else 0.0)
        for t in THRESHOLDS:
            if top_cat and top_unit and p_cat >= t and p_unit >= t:
                auto[t] += 1
                back[t] += wrong
            if top_cat and top_unit and p_cat >= t:
                auto_c[t] += 1
                back_c[t] += wrong
    n = len(orders)
    return {
        "orders": n,
        "operator_right": operator_right,
        "auto_dispatched_share": round(router_auto / n, 3),
        "came_back_share_of_auto": round(router_back / max(router_auto, 1), 4),
        "by_threshold": {
            str(t): {"auto_share": round(auto[t] / n, 3), "came_back_of_auto": round(back[t] / max(auto[t], 1), 4)}
            for t in THRESHOLDS
        },
        "by_threshold_category_only": {
            str(t): {
                "auto_share": round(auto_c[t] / n, 3),
                "came_back_of_auto": round(back_c[t] / max(auto_c[t], 1), 4),
            }
            for t in THRESHOLDS
        },
        "top_confidence_median": {
            "category": round(statistics.median(cat_conf), 3),
            "unit": round(statistics.median(unit_conf), 3),
        },
    }


def reset_models() -> None:
    from triage.models import ModelVersion
    from triage.services import forget_models

    ModelVersion.objects.all().delete()
    forget_models()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", type=int, default=30_000, help="generated orders to train on (a month)")
    parser.add_argument("--month", type=int, default=3_000, help="orders in the simulated month")
    parser.add_argument("--holdout", type=int, default=3_000, help="texts of unseen phrasings to measure model A on")
    parser.add_argument("--label-noise", type=float, default=0.05, help="share of history rows with a wrong category")
    parser.add_argument("--skip-month", action="store_true", help="accuracy, latency and load only")
    parser.add_argument("--skip-eval", action="store_true", help="leave out the evaluation set(s)")
    parser.add_argument(
        "--eval",
        type=Path,
        action="append",
        help="held-out complaint set to read model B on (repeatable; default bench/eval/complaints.jsonl)",
    )
    parser.add_argument("--out", type=Path, help="result file (default bench/results/dispatch_model[_<set>…].json)")
    parser.add_argument(
        "--unseen-calibration",
        action="store_true",
        help="also read model A with a temperature fitted on unseen phrasings (calibration, month)",
    )
    parser.add_argument(
        "--skip-b", action="store_true", help="model A only (no model B, latency, load, eval; prints, writes nothing)"
    )
    args = parser.parse_args()
    eval_paths = [p.resolve() for p in (args.eval or [EVAL])]
    suffix = "" if eval_paths == [EVAL] else "".join(f"_{p.stem}" for p in eval_paths)
    out = args.out or ROOT / "bench" / "results" / f"dispatch_model{suffix}.json"
    setup()
    from django.conf import settings
    from django.utils import timezone

    step("district")
    categories, communities = world()
    now = timezone.now()
    result: dict = {"train_orders": args.train, "label_noise": args.label_noise}

    step(f"model A: training on {args.train} orders of the 'train' phrasings")
    started = time.monotonic()
    history = generate(args.train, 1, categories, communities, now, part="train")
    result["generate_seconds"] = round(time.monotonic() - started, 1)
    result["model_a"] = {"training": train(history, label_noise=args.label_noise)}
    del history
    step("model A on the held-out phrasings")
    unseen = generate(args.holdout, 2, categories, communities, now, part="holdout")
    result["model_a"]["own_holdout"] = own_holdout(unseen, categories)
    if not args.skip_month:
        month = generate(args.month, 3, categories, communities, now, part="holdout")
        step(f"simulated month: {len(month)} orders")
        result["threshold"] = settings.HOTLINE_AUTO_DISPATCH_THRESHOLD
        result["month"] = [simulate_month(month, categories, p, seed=3) for p in (0.95, 0.85)]
    if args.unseen_calibration:
        # The same model A with a temperature fitted on a third split of unseen
        # phrasings (seed 5): the reliability table and the month read again.
        from triage.services import classifier

        version = result["model_a"]["training"]["category"]["version"]
        clf = classifier(version)
        stored = clf.temperature
        fitted = unseen_temperature(
            version, generate(1500, 5, categories, communities, now, part="holdout"), categories
        )
        clf.temperature = fitted
        step(f"unseen-phrasing calibration: T {stored:.4f} -> {fitted:.4f}")
        again = {"stored_temperature": stored, "fitted_temperature": fitted}
        again["own_holdout"] = own_holdout(unseen, categories)["reliability"]
        if not args.skip_month:
            again["month"] = [simulate_month(month, categories, p, seed=3) for p in (0.95, 0.85)]
        result["model_a"]["unseen_calibration"] = again
        clf.temperature = stored

    if args.skip_b:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    step(f"model B: training on {args.train} orders of all phrasings")
    reset_models()
    history = generate(args.train, 4, categories, communities, now, part="all")
    trained = train(history, label_noise=args.label_noise)
    del history
    result["model_b"] = {
        "training": trained,
        "load_seconds": load_time([trained["category"]["version"], trained["unit"]["version"]]),
    }
    step("latency")
    result["model_b"]["latency"] = latency(unseen[:500])
    if not args.skip_eval:
        sets = {}
        for path in eval_paths:
            step(f"evaluation set {path.name}")
            sets[str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)] = evaluate(categories, path)
        # "eval" stays the first set's figures (what earlier results hold); every set by name.
        result["model_b"]["eval"] = next(iter(sets.values()))
        result["model_b"]["eval_sets"] = sets
    result["cpu_count"] = os.cpu_count()
    result["load_average"] = os.getloadavg()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
