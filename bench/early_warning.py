"""The early-warning job over a year of orders (issue #15: ≤ 60 s).

    nice -n 19 .venv/bin/python bench/early_warning.py --orders 1000000

Own database (hotline_proactive_bench; BENCH_DATABASE_URL overrides). Seeds the demo
district through the services, then adds a year of synthetic orders with the dashboard
loader's SQL (bench/dashboard_load.py), titles drawn from a set of real-looking
complaints so that near-duplicates occur at the rate of the demo's text mix rather than
every order in a block being identical. Times: the hourly beat task (this week and last
week) and a backfill of every week of the year. Writes bench/results/early_warning.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotline_proactive_bench")

import dashboard_load as loader  # noqa: E402  (needs ROOT on the path first)

TITLES = [
    "路口有人占道摆摊",
    "小区门口夜间施工噪音扰民",
    "楼道灯不亮",
    "暖气不热室温低",
    "电梯经常故障停运",
    "垃圾清运不及时有异味",
    "井盖缺失有安全隐患",
    "共享单车乱停放堵塞人行道",
    "餐馆油烟扰民",
    "小区停车难乱停车",
    "自来水水质发黄",
    "路灯不亮夜间出行不便",
    "下水道堵塞污水外溢",
    "违规养犬扰民",
    "物业服务差不作为",
    "公交站牌信息错误",
]


def load(orders: int, days: int) -> None:
    titles = "ARRAY[" + ",".join(f"'{t}'" for t in TITLES) + "]"
    sql = loader.BATCH_SQL.replace(
        "'基准工单', '基准数据'",
        f"({titles})[1 + floor(x.r2 * {len(TITLES)})::int], "
        f"({titles})[1 + floor(x.r * {len(TITLES)})::int] || '，编号' || s",
    )
    assert sql != loader.BATCH_SQL, "the loader's SQL changed; update the title replacement"
    from django.db import connection

    from workorders.demo.seed import seed_demo
    from workorders.models import WorkOrder

    if not WorkOrder.objects.exclude(number__startswith="B").exists():
        seed_demo(orders=30, days=30)
    have = WorkOrder.objects.filter(number__startswith="B").count()
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE bench_g AS SELECT (row_number() OVER (ORDER BY grid.id) - 1)::int AS i, grid.id AS "
            "grid_id, grid.parent_id AS community_id, comm.parent_id AS street_id FROM grids_orgunit grid "
            "JOIN grids_orgunit comm ON comm.id = grid.parent_id WHERE grid.kind = 'grid'"
        )
        cur.execute(
            "CREATE TEMP TABLE bench_c AS SELECT (row_number() OVER (ORDER BY id) - 1)::int AS i, id FROM "
            "workorders_category WHERE parent_id IS NOT NULL AND is_active"
        )
        cur.execute("SELECT (SELECT count(*) FROM bench_g), (SELECT count(*) FROM bench_c)")
        gn, cn = cur.fetchone()
        lo = have + 1
        while lo <= orders:
            hi = min(orders, lo + 100_000 - 1)
            t = time.perf_counter()
            cur.execute(sql, {"lo": lo, "hi": hi, "days": days, "gn": gn, "cn": cn, "total": orders})
            print(f"orders {lo}..{hi} in {time.perf_counter() - t:.1f}s", flush=True)
            lo = hi + 1
        cur.execute("ANALYZE workorders_workorder")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--backfill-weeks", type=int, default=52)
    args = parser.parse_args()
    loader.URL = os.environ["BENCH_DATABASE_URL"]
    loader.ensure_database(loader.URL)
    loader.setup_django()
    from django.core.management import call_command
    from django.utils import timezone

    from proactive.detection import signals_detect, week_start
    from proactive.models import Signal
    from proactive.tasks import detect_signals
    from workorders.models import WorkOrder

    call_command("migrate", verbosity=0)
    load(args.orders, args.days)
    total = WorkOrder.objects.count()
    t = time.perf_counter()
    detect_signals()
    hourly = time.perf_counter() - t
    this_week = week_start(timezone.localdate())
    t = time.perf_counter()
    for k in range(args.backfill_weeks):
        signals_detect(week=this_week - timedelta(weeks=k))
    backfill = time.perf_counter() - t
    result = {
        "orders": total,
        "hourly_task_s": round(hourly, 2),
        "backfill_weeks": args.backfill_weeks,
        "backfill_s": round(backfill, 1),
        "per_week_s": round(backfill / args.backfill_weeks, 2),
        "signals": Signal.objects.count(),
        "volume_signals": Signal.objects.filter(kind="volume").count(),
        "cluster_signals": Signal.objects.filter(kind="cluster").count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results" / "early_warning.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
