"""The deadline scan at scale: 100,000 then 1,000,000 open orders, 1,000 of them due.

    .venv/bin/python bench/deadline_scan.py [--small 100000] [--large 1000000] [--due 1000]

Database hotline_bench_scan (DATABASE_URL overrides; never the test database). Orders
and deadlines are written with COPY. For each size it measures
  - the scanner's due-row query (SELECT … FOR UPDATE SKIP LOCKED LIMIT 200 over the
    partial index), warn and breach phase: p50/p95 over 200 runs;
  - EXPLAIN of that query (which index, no Seq Scan);
  - a full deadline_scan() handling the 1,000 due rows (marks, events, notification
    rows), rolled back afterwards so each run sees the same data: median of 3.
Writes bench/results/deadline_scan.json.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

from dispatch_common import ROOT, add_open_orders, district, machine, setup, write_result


class Rollback(Exception):
    pass


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def measure(now, due: int) -> dict:
    from django.db import connection, transaction

    from dispatch.scan import BREACH, WARN, _due, deadline_scan
    from workorders.models import Deadline

    out = {}
    for phase in (WARN, BREACH):
        qs = Deadline.objects.select_for_update(skip_locked=True, of=("self",)).filter(_due(phase, now))
        qs = qs.order_by("warn_at" if phase == WARN else "due_at")[:200]
        times = []
        for _ in range(200):
            with transaction.atomic():
                t0 = time.perf_counter()
                rows = list(qs.all())  # a fresh query each time, not the cache
                times.append((time.perf_counter() - t0) * 1000)
        with transaction.atomic():
            plan = "\n".join(r[0] for r in _explain(connection, qs))
        out[phase] = {
            "rows": len(rows),
            "p50_ms": round(pct(times, 50), 2),
            "p95_ms": round(pct(times, 95), 2),
            "uses_partial_index": ("deadline_to_warn" if phase == WARN else "deadline_to_breach") in plan,
            "seq_scan": "Seq Scan" in plan,
            "plan": plan,
        }
    runs = []
    for _ in range(3):
        try:
            with transaction.atomic():
                t0 = time.perf_counter()
                result = deadline_scan(now=now)
                runs.append((time.perf_counter() - t0) * 1000)
                handled = result.handled
                raise Rollback
        except Rollback:
            pass
    out["scan"] = {
        "handled": handled,
        "median_ms": round(statistics.median(runs), 1),
        "runs_ms": [round(r) for r in runs],
    }
    return out


def _explain(connection, qs):
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return cursor.fetchall()


def remeasure(due: int) -> None:
    import json

    from django.db.models import Min
    from django.utils import timezone

    from workorders.models import WorkOrder

    path = ROOT / "bench" / "results" / "deadline_scan.json"
    figures = json.loads(path.read_text()) if path.exists() else {}
    # The due rows were written "one minute ago" relative to the build; keep that instant.
    built = WorkOrder.objects.aggregate(t=Min("created_at"))["t"] + timedelta(days=1)
    rerun = {"open_orders": WorkOrder.objects.count(), "at": timezone.now().isoformat(), **measure(built, due)}
    figures.setdefault("reruns", []).append(rerun)
    for phase in ("warn", "breach"):
        print(
            f"{rerun['open_orders']:,} open orders, {phase}: "
            f"p50 {rerun[phase]['p50_ms']} ms, p95 {rerun[phase]['p95_ms']} ms"
        )
    print(f"full scan of {rerun['scan']['handled']} rows: {rerun['scan']['median_ms']} ms")
    write_result("deadline_scan", figures)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument(
        "--measure-only", action="store_true", help="re-measure the data already built (no rebuild), add as a rerun"
    )
    args = parser.parse_args()
    setup("hotline_bench_scan")
    if args.measure_only:
        return remeasure(args.due)
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone

    from workorders.models import Deadline, WorkOrder

    d = district()
    with connection.cursor() as cursor:  # start from the district alone
        cursor.execute("TRUNCATE workorders_deadline, workorders_event, dispatch_notification CASCADE")
        cursor.execute("DELETE FROM workorders_workorder")
    now = timezone.now()
    figures = {"machine": machine(), "due": args.due}
    with override_settings(HOTLINE_NOTIFY_BACKEND="dispatch.backends.LogBackend"):
        print(f"building {args.small:,} open orders ({args.due} due)…")
        add_open_orders(n=args.small, due=args.due, d=d, now=now, prefix="S")
        figures["small"] = {"open_orders": WorkOrder.objects.count(), **measure(now, args.due)}
        print(f"building up to {args.large:,} open orders…")
        # The extra orders are all in the future: the due set stays the same 1,000 rows.
        add_open_orders(n=args.large - args.small, due=0, d=d, now=now, prefix="L")
        figures["large"] = {"open_orders": WorkOrder.objects.count(), **measure(now, args.due)}
    figures["deadline_rows"] = Deadline.objects.count()
    figures["scan_ratio_large_vs_small"] = round(
        figures["large"]["scan"]["median_ms"] / figures["small"]["scan"]["median_ms"], 2
    )
    for size in ("small", "large"):
        f = figures[size]
        print(
            f"{f['open_orders']:>9,} open orders: due query warn p95 {f['warn']['p95_ms']} ms, "
            f"breach p95 {f['breach']['p95_ms']} ms (partial index: {f['breach']['uses_partial_index']}, "
            f"seq scan: {f['breach']['seq_scan']}); "
            f"full scan of {f['scan']['handled']} rows {f['scan']['median_ms']} ms"
        )
    print("breach plan at 1M:\n" + figures["large"]["breach"]["plan"])
    print(f"scan cost 1M / 100k: {figures['scan_ratio_large_vs_small']}")
    write_result("deadline_scan", figures)


if __name__ == "__main__":
    main()
