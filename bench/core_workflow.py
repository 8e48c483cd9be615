"""Core work-order costs on PostgreSQL: creation, each transition, locate().

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hotline_bench_core \
        .venv/bin/python bench/core_workflow.py [--orders 300]

Builds the demo units/categories/users (no historical orders) in its own database,
then measures, in one run so the ratios compare like with like:
  - log_call (create + number + event): latency and orders/s, one thread;
  - each life-cycle transition (assign, sign, reply, approve, callback) vs a bare
    locked UPDATE of the same row in its own transaction (the floor any write pays);
  - locate(lat, lng) over the 40 demo grids.
Prints a table and writes bench/results/core_workflow.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotline_bench_core")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
os.environ.setdefault("DEBUG", "1")  # as before DEBUG became off by default


def ensure_database() -> None:
    from urllib.parse import urlsplit

    import psycopg2

    url = urlsplit(os.environ["DATABASE_URL"])
    if not url.scheme.startswith("postgres"):
        return
    name = url.path.lstrip("/")
    conn = psycopg2.connect(
        dbname="postgres", user=url.username or "postgres", host=url.hostname, port=url.port or 5432
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def summary(ms: list[float]) -> dict:
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 50), 2),
        "p95_ms": round(pct(ms, 95), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def bare_update(pk: int) -> None:
    """The floor any write pays: lock the order row and update it in a transaction."""
    from django.db import transaction
    from django.db.models import F

    from workorders.models import WorkOrder

    with transaction.atomic():
        WorkOrder.objects.select_for_update().filter(pk=pk).update(version=F("version"))


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return result, (time.perf_counter() - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from grids.locate import locate
    from grids.models import OrgUnit, UnitKind
    from workorders import services as svc
    from workorders.demo.seed import seed_categories, seed_units, seed_users
    from workorders.workflow import suppress_follow_ups

    call_command("migrate", verbosity=0)
    units = seed_units()
    categories = [c for c in seed_categories(units) if c.routing == "territorial"]
    users = seed_users(units)
    rng = random.Random(7)
    grids = list(OrgUnit.objects.filter(kind=UnitKind.GRID))
    handlers = {m.unit_id: m.user for m in units["S01"].memberships.filter(role="handler")}
    street = units["S01"]
    handler = handlers[street.pk]
    streets_grids = [g for g in grids if g.path.startswith(street.path)]

    def point(grid):
        ring = grid.boundary["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return rng.uniform(min(ys), max(ys)), rng.uniform(min(xs), max(xs))

    create_ms, steps = [], {k: [] for k in ["assign", "sign", "reply", "approve", "callback", "bare_update"]}
    orders = []
    op, disp = users["operator"], users["dispatcher"]
    started = time.perf_counter()
    with suppress_follow_ups():
        for i in range(args.orders):
            lat, lng = point(rng.choice(streets_grids))
            fields = dict(
                caller_phone=f"139{i:08d}",
                title="占道经营",
                description="门口有人摆摊",
                lat=lat,
                lng=lng,
                category=rng.choice(categories),
                auto_dispatch=False,
            )
            order, ms = timed(partial(svc.work_order_log_call, actor=op, **fields))
            create_ms.append(ms)
            orders.append(order)
        create_rate = args.orders / (time.perf_counter() - started)
        for order in orders:
            steps["bare_update"].append(timed(partial(bare_update, order.pk))[1])
            o = order
            for name, call in [
                ("assign", partial(svc.work_order_assign, actor=disp, unit=street)),
                ("sign", partial(svc.work_order_sign, actor=handler)),
                ("reply", partial(svc.work_order_reply, actor=handler, reply="已处理完毕")),
                ("approve", partial(svc.work_order_approve, actor=disp)),
                (
                    "callback",
                    partial(
                        svc.work_order_callback, actor=op, contacted=True, resolution="solved", satisfaction="satisfied"
                    ),
                ),
            ]:
                o, ms = timed(partial(call, order=o))
                steps[name].append(ms)
    locate_ms = []
    for _ in range(1000):
        lat, lng = point(rng.choice(grids))
        locate_ms.append(timed(partial(locate, lat=lat, lng=lng))[1])

    bare_p50 = pct(steps["bare_update"], 50)
    results = {
        "machine": f"{platform.node()} {os.cpu_count()} cores, {connection.vendor}",
        "orders": args.orders,
        "log_call": {**summary(create_ms), "orders_per_s": round(create_rate, 1)},
        "transitions": {k: summary(v) for k, v in steps.items()},
        "transition_p50_over_bare_update_p50": {
            k: round(pct(v, 50) / bare_p50, 1) for k, v in steps.items() if k != "bare_update"
        },
        "locate_point": summary(locate_ms),
    }
    out = ROOT / "bench" / "results" / "core_workflow.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(json.dumps(results, ensure_ascii=False, indent=2))
    # Leave the database reusable: closed orders pile up but do not distort the next run.


if __name__ == "__main__":
    main()
