"""Address resolution and duplicate detection, measured (issue #11, items 3 and 4).

1. The held-out ``bench/eval/addresses.jsonl`` (written independently, see its README)
   against the demo district's gazetteer: community and grid accuracy, the share of
   outside addresses placed inside, and resolution latency p50/p95. Only aggregates
   are printed: nobody tunes the resolver to an item of that set.
2. Duplicate detection on a synthetic set generated here (kept apart from the eval set):
   base orders at demo places, then repeat calls (the same problem at the same place,
   phrased differently) and new calls (another problem at the same place, or the same
   problem elsewhere); precision and recall of the top suggestion.

    .venv/bin/python bench/address_eval.py            # writes bench/results/address_eval.json
    .venv/bin/python bench/address_eval.py --eval bench/eval/addresses_b.jsonl
                                        # set B; writes bench/results/address_eval_addresses_b.json

Runs on a throw-away SQLite database of its own (no services needed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL = ROOT / "bench" / "eval" / "addresses.jsonl"


def _setup(tmp: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/address_eval.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def share(hits: int, n: int) -> float:
    return round(100 * hits / n, 1) if n else 0.0


def _items(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def eval_addresses(path: Path = EVAL) -> dict:
    from grids.gazetteer import address_resolve

    items = _items(path)
    community_n = community_ok = grid_n = grid_ok = outside_n = outside_placed = 0
    street_n = street_ok = inside_n = inside_unplaced = 0
    address_resolve("warm-up")
    latencies: list[float] = []
    for item in items:
        t0 = time.perf_counter()
        found = address_resolve(item["text"])
        latencies.append((time.perf_counter() - t0) * 1000)
        if item.get("outside"):
            outside_n += 1
            outside_placed += found.placed
            continue
        inside_n += 1
        inside_unplaced += not found.placed
        if item.get("community"):
            community_n += 1
            community_ok += bool(found.community and found.community.name == item["community"])
        if item.get("grid"):
            grid_n += 1
            grid_ok += bool(found.grid and found.grid.name == item["grid"])
        if item.get("street"):
            street_n += 1
            street_ok += bool(found.street and found.street.name == item["street"])
    # Latency: every text five more times (the gazetteer is loaded; this is the per-call cost).
    for _round in range(5):
        for item in items:
            t0 = time.perf_counter()
            address_resolve(item["text"])
            latencies.append((time.perf_counter() - t0) * 1000)
    return {
        "items": len(items),
        "community_accuracy_pct": share(community_ok, community_n),
        "community_n": community_n,
        "grid_accuracy_pct": share(grid_ok, grid_n),
        "grid_n": grid_n,
        "street_accuracy_pct": share(street_ok, street_n),
        "outside_placed_pct": share(outside_placed, outside_n),
        "outside_n": outside_n,
        "inside_not_placed_pct": share(inside_unplaced, inside_n),
        "latency_ms": {
            "n": len(latencies),
            "p50": round(pct(latencies, 50), 3),
            "p95": round(pct(latencies, 95), 3),
            "max": round(max(latencies), 3),
        },
    }


def eval_baseline(path: Path = EVAL) -> dict:
    """The resolver this replaced, on the same set: the longest AddressAlias contained
    in the text (grids.locate before the gazetteer)."""
    from grids.models import AddressAlias

    aliases = list(AddressAlias.objects.select_related("community", "grid"))
    items = _items(path)
    c_n = c_ok = g_n = g_ok = o_n = o_placed = 0
    for item in items:
        best = None
        for alias in aliases:
            if alias.alias in item["text"] and (best is None or len(alias.alias) > len(best.alias)):
                best = alias
        if item.get("outside"):
            o_n += 1
            o_placed += best is not None
            continue
        if item.get("community"):
            c_n += 1
            c_ok += bool(best and best.community.name == item["community"])
        if item.get("grid"):
            g_n += 1
            g_ok += bool(best and best.grid and best.grid.name == item["grid"])
    return {
        "community_accuracy_pct": share(c_ok, c_n),
        "grid_accuracy_pct": share(g_ok, g_n),
        "outside_placed_pct": share(o_placed, o_n),
    }


# --- the synthetic duplicate set -------------------------------------------------------
# Each problem: several ways residents say it. A repeat call uses another phrasing of
# the same problem at the same place; a new call another problem there, or the same
# problem at another place.
PROBLEMS = [
    ["门口有人摆摊卖菜，把路都堵了", "天天有小贩在门口摆摊，进出很不方便", "门口占道经营的摊贩又来了，车都过不去"],
    ["楼道里堆满了杂物，消防通道被堵", "有人在楼道堆放纸箱旧家具，很危险", "楼道杂物堆了好久没人清理"],
    ["垃圾桶满了好几天没人清运，臭气熏天", "垃圾好几天没拉走了，味道很大", "垃圾站的垃圾溢出来了，一直没人收"],
    ["楼下饭店油烟太大，窗户都不敢开", "餐馆排烟直冲居民楼，油烟味很重", "饭馆的油烟机对着我家窗户排"],
    ["晚上广场舞音响太吵，影响休息", "每天晚上跳舞的放音乐声音特别大", "广场舞噪音扰民，十点了还在放"],
    ["电梯坏了三天了，老人上不去楼", "电梯又停运了，物业说等配件", "电梯故障一直没修好，天天爬楼"],
    ["小区路灯不亮，晚上黑漆漆的", "路灯坏了好几盏，晚上走路害怕", "门口那段路灯一直不亮"],
    ["暖气不热，屋里才十五度", "家里暖气片冰凉，供暖不达标", "供暖温度太低了，家里冷得很"],
    ["井盖丢了，路上有个大洞很危险", "路边井盖没了，差点有人掉下去", "下水井盖缺失，晚上看不见"],
    ["共享单车乱停，把盲道都占了", "门口单车堆成山，人都走不过去", "共享单车停得乱七八糟堵住通道"],
]


def eval_duplicates(seed: int = 20261202) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from grids.models import AddressAlias, OrgUnit, Role, UnitKind
    from hotline.testing import make_user
    from workorders.services import work_order_find_duplicates, work_order_log_call
    from workorders.workflow import suppress_follow_ups

    rng = random.Random(seed)
    center = OrgUnit.objects.get(kind=UnitKind.CENTER)
    operator = make_user("bench_operator", center, Role.OPERATOR)
    places = list(AddressAlias.objects.exclude(alias__regex=r"\d").values_list("alias", flat=True))
    now = timezone.now()
    base: dict[tuple[int, str], object] = {}
    with suppress_follow_ups():
        for i, place in enumerate(places):
            for p in rng.sample(range(len(PROBLEMS)), 3):
                order = work_order_log_call(
                    actor=operator,
                    caller_phone=f"1350000{i:02d}{p:02d}",
                    title=PROBLEMS[p][0][:12],
                    description=f"{place}{PROBLEMS[p][0]}",
                    address=f"{place}{rng.randint(1, 20)}号楼",
                    auto_dispatch=False,
                    now=now - timedelta(days=rng.uniform(0, 6)),
                )
                base[(p, place)] = order
    keys = list(base)
    queries = []  # (text, address, expected order or None)
    for p, place in rng.sample(keys, min(60, len(keys))):
        phrasing = rng.choice(PROBLEMS[p][1:])
        queries.append((phrasing, f"{place}{rng.randint(1, 20)}号楼附近", base[(p, place)]))
    for p, place in rng.sample(keys, min(60, len(keys))):
        if rng.random() < 0.5:  # another problem at the same place
            other = rng.choice([q for q in range(len(PROBLEMS)) if (q, place) not in base])
            queries.append((rng.choice(PROBLEMS[other]), f"{place}东门", None))
        else:  # the same problem at a place where it was not reported
            elsewhere = rng.choice([pl for pl in places if (p, pl) not in base])
            queries.append((rng.choice(PROBLEMS[p][1:]), f"{elsewhere}", None))
    tp = fp = fn = 0
    latencies = []
    for text, address, expected in queries:
        t0 = time.perf_counter()
        found = work_order_find_duplicates(text=text, address=address, now=now, limit=3)
        latencies.append((time.perf_counter() - t0) * 1000)
        top = found[0].order if found else None
        if expected is None:
            fp += top is not None
        elif top is not None and top.pk == expected.pk:
            tp += 1
        else:
            fn += 1
            fp += top is not None
    return {
        "base_orders": len(base),
        "queries": len(queries),
        "repeat_calls": sum(1 for q in queries if q[2] is not None),
        "precision_pct": share(tp, tp + fp),
        "recall_pct": share(tp, tp + fn),
        "search_latency_ms": {"p50": round(pct(latencies, 50), 2), "p95": round(pct(latencies, 95), 2)},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--eval",
        type=Path,
        default=EVAL,
        help="held-out address set (default bench/eval/addresses.jsonl; set B: bench/eval/addresses_b.jsonl)",
    )
    parser.add_argument("--out", type=Path, help="result file (default bench/results/address_eval[_<set>].json)")
    args = parser.parse_args()
    eval_path = args.eval.resolve()
    suffix = "" if eval_path == EVAL else f"_{eval_path.stem}"
    out = args.out or ROOT / "bench" / "results" / f"address_eval{suffix}.json"
    with tempfile.TemporaryDirectory() as tmp:
        _setup(tmp)
        from workorders.demo.places import seed_places
        from workorders.demo.seed import seed_units

        seed_places(seed_units())
        addresses = eval_addresses(eval_path)
        baseline = eval_baseline(eval_path)
        duplicates = eval_duplicates()
    result = {
        "eval_set": str(eval_path.relative_to(ROOT)) if eval_path.is_relative_to(ROOT) else str(eval_path),
        "addresses": addresses,
        "baseline_alias_substring": baseline,
        "duplicates": duplicates,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "mean_note": "latency on a shared 2-core machine; compare ratios, not absolutes",
    }
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    a, d = addresses, duplicates
    print(f"addresses ({a['items']} items): community {a['community_accuracy_pct']}% of {a['community_n']}")
    print(f"  grid {a['grid_accuracy_pct']}% of {a['grid_n']}; street {a['street_accuracy_pct']}%")
    print(f"  outside placed inside {a['outside_placed_pct']}% of {a['outside_n']}")
    b = baseline
    print(
        f"  (before, alias substring: community {b['community_accuracy_pct']}%, grid {b['grid_accuracy_pct']}%, "
        f"outside placed {b['outside_placed_pct']}%)"
    )
    print(f"  in-district not placed {a['inside_not_placed_pct']}%")
    print(f"  latency p50 {a['latency_ms']['p50']} ms, p95 {a['latency_ms']['p95']} ms (n={a['latency_ms']['n']})")
    print(
        f"duplicates ({d['queries']} synthetic calls, {d['repeat_calls']} repeats): "
        f"precision {d['precision_pct']}%, recall {d['recall_pct']}%, "
        f"search p95 {d['search_latency_ms']['p95']} ms"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
