"""Every role's main pages and API lists at 100,000 and at 1,000,000 orders (issue 14,
item 2): the cost ratio per page, measured in one run, and p95 at 1M.

    # once, niced (minutes; the loader is bench/dashboard_load.py):
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hotline_perf_100k \\
        nice -n 19 .venv/bin/python bench/dashboard_load.py --orders 100000 --days 37
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hotline_perf_1m \\
        nice -n 19 .venv/bin/python bench/dashboard_load.py --orders 1000000 --days 365
    .venv/bin/python bench/growth_pages.py --prepare      # shapes both (idempotent)
    .venv/bin/python bench/growth_pages.py [--reps 10] [--rounds 2]

The two databases hold the same district at the same daily rate (~2,700 orders a day):
the large one has ten times the history, as a district has after ten times as long, and
the same working set (orders still running, overdue, waiting). That is the growth a
list must not feel. --prepare makes the grid worker the author of 1% of the orders (so
their reports grow with the history: the queue that used to read them all) and ANALYZEs.

Each page is the real view through Django's test client as the role's demo user
(routing, middleware, scope, every query, template or JSON; no network), DEBUG off,
the dashboard's own cache off (every figure computed). Per round, one child process per
size (alternating) warms every page once and then requests each --reps times; the
ratio is the 1M median ÷ the 100k median, p95 is over every 1M request.
Writes bench/results/growth_pages.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE = os.environ.get("BENCH_DATABASE_BASE", "postgres://postgres@127.0.0.1:5432/hotline_perf")
SIZES = {"100k": f"{BASE}_100k", "1m": f"{BASE}_1m"}


def setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.page_settings"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ["HOTLINE_DASHBOARD_CACHE_SECONDS"] = "0"
    import django

    django.setup()


def prepare() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    worker = get_user_model().objects.get(username="gridworker")
    with connection.cursor() as cur:
        # 1% of the synthetic orders are the grid worker's patrol reports.
        cur.execute(
            "UPDATE workorders_workorder SET created_by_id = %s, channel = 'patrol' "
            "WHERE number LIKE 'B%%' AND id %% 100 = 7 AND created_by_id IS DISTINCT FROM %s",
            [worker.pk, worker.pk],
        )
        print(f"grid worker's reports: +{cur.rowcount}", flush=True)
        cur.execute("VACUUM ANALYZE workorders_workorder")


def pages() -> list[tuple[str, str, str]]:
    """(label, username, url): what each role opens all day."""
    from django.utils import timezone

    from grids.models import OrgUnit
    from workorders.models import WorkOrder

    street = OrgUnit.objects.get(code="S01")
    recent = WorkOrder.objects.filter(street=street, status="in_progress").order_by("-id").first()
    today = timezone.localdate()
    start7 = (today - timezone.timedelta(days=6)).isoformat()
    return [
        # operator
        ("operator: console", "operator", "/ops/"),
        ("operator: submissions", "operator", "/ops/submissions/"),
        ("operator: callbacks", "operator", "/ops/callbacks/"),
        ("operator: API queue", "operator", "/api/v1/orders/queue"),
        ("operator: API list, newest", "operator", "/api/v1/orders"),
        # dispatcher
        ("dispatcher: desk", "dispatcher", "/desk/"),
        ("dispatcher: API queue", "dispatcher", "/api/v1/orders/queue"),
        # handlers
        ("street: workbench", "street", "/unit/"),
        ("street: workbench, red lights", "street", "/unit/?light=red"),
        ("street: API queue", "street", "/api/v1/orders/queue"),
        ("street: API overdue by due time", "street", "/api/v1/orders?overdue=true&ordering=due_at"),
        ("street: order page", "street", f"/orders/{recent.number}/"),
        ("community: workbench", "community", "/unit/"),
        ("community: API queue", "community", "/api/v1/orders/queue"),
        ("grid: workbench", "grid", "/unit/"),
        ("dept: workbench", "dept", "/unit/"),
        ("dept: API queue", "dept", "/api/v1/orders/queue"),
        # grid worker
        ("grid worker: my reports", "gridworker", "/patrol/mine/"),
        ("grid worker: API queue", "gridworker", "/api/v1/orders/queue"),
        ("grid worker: API list", "gridworker", "/api/v1/orders"),
        # supervisor
        ("supervisor: dashboard (default 30 days)", "supervisor", "/dashboard/"),
        ("supervisor: dashboard 7 days, street", "supervisor", f"/dashboard/?start={start7}&unit={street.pk}"),
        ("supervisor: orders received (30 days)", "supervisor", "/orders/?figure=volume"),
        ("supervisor: orders overdue", "supervisor", "/orders/?figure=overdue"),
        ("supervisor: ledger export, today", "supervisor", f"/orders/export.xlsx?figure=volume&start={today}"),
        ("supervisor: API list, in progress by due", "supervisor", "/api/v1/orders?status=in_progress&ordering=due_at"),
        ("supervisor: API overdue by due time", "supervisor", "/api/v1/orders?overdue=true&ordering=due_at"),
    ]


def child(size: str, reps: int) -> None:
    setup(SIZES[size])
    from django.contrib.auth import get_user_model
    from django.test import Client

    from workorders.models import WorkOrder

    clients: dict[str, Client] = {}
    out: dict[str, dict] = {"orders": WorkOrder.objects.count(), "pages": {}}
    plan = pages()
    for label, username, url in plan:
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(get_user_model().objects.get(username=username))
        response = clients[username].get(url)  # warm: caches, buffers, the plan
        assert response.status_code == 200, (label, response.status_code)
    for label, username, url in plan:
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            response = clients[username].get(url)
            if response.streaming:
                b"".join(response.streaming_content)
            times.append((time.perf_counter() - t0) * 1000)
        out["pages"][label] = times
    json.dump(out, sys.stdout)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=10, help="requests per page per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, each measuring both sizes")
    parser.add_argument("--prepare", action="store_true", help="shape both databases, then stop")
    parser.add_argument("--child", choices=SIZES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.reps)
        return
    if args.prepare:
        for url in SIZES.values():
            subprocess.run(
                [sys.executable, "-c", f"import bench.growth_pages as g; g.setup({url!r}); g.prepare()"],
                cwd=ROOT,
                check=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        return

    load_before = os.getloadavg()
    times: dict[str, dict[str, list[float]]] = {size: {} for size in SIZES}
    orders: dict[str, int] = {}
    for r in range(args.rounds):
        for size in SIZES if r % 2 == 0 else reversed(list(SIZES)):
            run = subprocess.run(
                [sys.executable, str(Path(__file__)), "--child", size, "--reps", str(args.reps)],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"},
            )
            data = json.loads(run.stdout)
            orders[size] = data["orders"]
            for label, values in data["pages"].items():
                times[size].setdefault(label, []).extend(values)
            print(f"round {r + 1}: {size} measured", flush=True)

    rows = []
    for label in times["1m"]:
        small, large = times["100k"][label], times["1m"][label]
        ratio = statistics.median(large) / statistics.median(small)
        rows.append(
            {
                "page": label,
                "p50_100k_ms": round(statistics.median(small), 1),
                "p50_1m_ms": round(statistics.median(large), 1),
                "p95_1m_ms": round(pct(large, 95), 1),
                "ratio": round(ratio, 2),
            }
        )
    width = max(len(r["page"]) for r in rows)
    print(f"\n{'page':{width}}  p50@100k  p50@1M  p95@1M  ratio")
    for r in rows:
        flag = "" if r["ratio"] <= 1.3 and r["p95_1m_ms"] <= 150 else "  <-- over target"
        print(
            f"{r['page']:{width}}  {r['p50_100k_ms']:8.1f}  {r['p50_1m_ms']:6.1f}  {r['p95_1m_ms']:6.1f}  "
            f"{r['ratio']:5.2f}{flag}"
        )
    worst = max(rows, key=lambda r: r["ratio"])
    print(f"\nworst ratio {worst['ratio']} ({worst['page']}); worst p95 at 1M {max(r['p95_1m_ms'] for r in rows)} ms")
    from bench.api_common import write_result

    path = write_result(
        "growth_pages",
        {
            "command": "python bench/growth_pages.py " + " ".join(sys.argv[1:]),
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "load_avg_before": load_before,
                "load_avg_after": os.getloadavg(),
            },
            "orders": orders,
            "reps_per_round": args.reps,
            "rounds": args.rounds,
            "pages": rows,
        },
    )
    print(f"written {path}")


if __name__ == "__main__":
    main()
