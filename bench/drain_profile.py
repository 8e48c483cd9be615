"""Where a worker's follow-up drains spend their CPU (issue 14, target 4: the whole
system's CPU at 6 orders/s; the workers were a fifth of it).

    .venv/bin/python bench/drain_profile.py [--orders 300] [--top 25]

Makes --orders hotline calls in the test district (hotline.testing.build_district) on
PostgreSQL (its own database, hotline_perf_drain; BENCH_DATABASE_URL overrides) as the
running app does, not eagerly: each commit leaves its follow-up rows pending. Then, as
a worker would, drains them task by task — routing (which assigns, leaving the
assignment's follow-ups), then the events' follow-ups, then the notices they send —
drives every order through sign → reply → approve → callback through the services and
drains again. Per task: rows, CPU (process time) and statements per row, and the CPU of
a drain that finds nothing (what a redundant nudge costs, before Celery's own share).
Then a cProfile of the events' drain (own time by library, top functions). Writes
bench/results/drain_profile.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_common import recreate_database, setup_django, write_result  # noqa: E402
from bench.intake_profile import by_library  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotline_perf_drain")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--empty", type=int, default=300, help="empty drains to time")
    parser.add_argument("--no-profile", action="store_true", help="CPU per row without the profiler's own cost")
    parser.add_argument("--result", default="drain_profile")
    parser.add_argument("--sql", type=int, default=0, help="print the first N statements of each drain")
    args = parser.parse_args()

    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"  # rows stay pending, as for a worker
    recreate_database(DATABASE_URL)
    setup_django(DATABASE_URL)
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from dispatch.tasks import FOLLOW_UP_HANDLERS
    from hotline.testing import build_district
    from workorders import services
    from workorders.models import FollowUp
    from workorders.outbox import follow_ups_drain

    d = build_district()
    results: dict = {"orders": args.orders, "tasks": {}}
    profiles: dict[str, cProfile.Profile] = {}

    def drain_all(stage: str) -> None:
        for task in ("dispatch.route_order", "dispatch.on_event", "dispatch.send_event_notifications"):
            rows = FollowUp.objects.filter(task=task, state="pending").count()
            if not rows:
                continue
            profile = profiles.setdefault(task, cProfile.Profile(time.process_time))
            with CaptureQueriesContext(connection) as q:
                c0 = time.process_time()
                if not args.no_profile:
                    profile.enable()
                done = 0
                while True:
                    result = follow_ups_drain(task=task, handler=FOLLOW_UP_HANDLERS[task])
                    done += result.done
                    if not result.more:
                        break
                if not args.no_profile:
                    profile.disable()
                cpu = time.process_time() - c0
            left = FollowUp.objects.filter(task=task, state="pending").count()
            entry = results["tasks"].setdefault(f"{stage}: {task}", {})
            entry.update(
                rows=done,
                left=left,
                cpu_ms_per_row=round(cpu / max(done, 1) * 1000, 2),
                statements_per_row=round(len(q.captured_queries) / max(done, 1), 1),
            )
            how = "" if args.no_profile else "profiled, "
            print(
                f"{stage:9} {task:38} {done:5d} rows, {entry['cpu_ms_per_row']:6.2f} ms CPU/row "
                f"({how}{entry['statements_per_row']:5.1f} statements/row), {left} left"
            )
            if args.sql:
                for query in q.captured_queries[: args.sql]:
                    print("     ", query["sql"][:160])

    orders = []
    for i in range(args.orders):
        orders.append(
            services.work_order_log_call(
                actor=d.users["operator"],
                caller_name="张三",
                caller_phone="13800000000",
                title=f"路口占道摆摊 {i}",
                description="每天傍晚在幸福里小区门口摆摊，影响通行。",
                address="幸福里小区东门",
                lat=39.905,
                lng=116.305,
                category=d.cat_territorial,
                auto_dispatch=True,
            ).pk
        )
    drain_all("intake")
    drain_all("assign")  # the assignments' own follow-ups
    from workorders.models import WorkOrder

    assigned = list(WorkOrder.objects.filter(pk__in=orders, status="assigned").values_list("pk", "current_unit_id"))
    handlers = {d.street_a.pk: d.users["handler_a"], d.street_b.pk: d.users.get("handler_b")}
    done_orders = []
    for pk, unit in assigned:
        handler = handlers.get(unit)
        if handler is None:
            continue
        services.work_order_sign(order=pk, actor=handler)
        services.work_order_reply(order=pk, actor=handler, reply="已到现场处理完毕。")
        done_orders.append(pk)
    drain_all("handling")
    for pk in done_orders:
        services.work_order_approve(order=pk, actor=d.users["dispatcher"])
    drain_all("approve")
    for pk in done_orders:
        services.work_order_callback(
            order=pk, actor=d.users["operator"], contacted=True, resolution="solved", satisfaction="satisfied"
        )
    drain_all("callback")

    # A drain that finds nothing: the claim's transaction and query, per redundant nudge.
    c0 = time.process_time()
    w0 = time.perf_counter()
    for _ in range(args.empty):
        follow_ups_drain(task="dispatch.on_event", handler=FOLLOW_UP_HANDLERS["dispatch.on_event"])
    results["empty_drain_cpu_ms"] = round((time.process_time() - c0) / args.empty * 1000, 3)
    results["empty_drain_wall_ms"] = round((time.perf_counter() - w0) / args.empty * 1000, 3)
    print(f"empty drain: {results['empty_drain_cpu_ms']} ms CPU, {results['empty_drain_wall_ms']} ms wall")

    results["profiled"] = not args.no_profile
    for task, profile in profiles.items() if not args.no_profile else ():
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
        libs = by_library(stats.stats)  # type: ignore[attr-defined]
        total = sum(libs.values()) or 1
        results["tasks"].setdefault("by_library", {})[task] = {
            k: round(v / total * 100, 1) for k, v in sorted(libs.items(), key=lambda kv: -kv[1])[:12]
        }
        print(f"\n===== {task} =====")
        print(out.getvalue())
        print("own time by library:")
        for key, value in sorted(libs.items(), key=lambda kv: -kv[1])[:12]:
            print(f"  {value / total * 100:5.1f} %  {key}")
    print("written to", write_result(args.result, results))


if __name__ == "__main__":
    main()
