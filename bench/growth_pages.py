"""Every role's main pages and API lists at 100,000 and at 1,000,000 orders (issue 14,
item 2): the cost ratio per page, measured in one run, and p95 at 1M.

    # once, niced (minutes; the loader is bench/dashboard_load.py):
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hotline_perf_100k \\
        nice -n 19 .venv/bin/python bench/dashboard_load.py --orders 100000 --days 37
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hotline_perf_1m \\
        nice -n 19 .venv/bin/python bench/dashboard_load.py --orders 1000000 --days 365
    .venv/bin/python bench/growth_pages.py --prepare      # shapes both (idempotent)
    .venv/bin/python bench/growth_pages.py [--reps 10] [--rounds 2] [--only "operator: submissions" ...]

The two databases hold the same district at the same daily rate (~2,700 orders a day):
the large one has ten times the history, as a district has after ten times as long, and
the same working set (orders still running, overdue, waiting). That is the growth a
list must not feel. --prepare makes the grid worker the author of 1% of the orders (so
their reports grow with the history: the queue that used to read them all) and ANALYZEs.

Each page is the real view through Django's test client as the role's demo user
(routing, middleware, scope, every query, template or JSON; no network), DEBUG off,
the dashboard's own cache off (every figure computed). Per round, one child process per
size warms every page once; then the parent asks the two children for each page in
turn, one request at a time, alternating which size goes first, --reps times (so a
burst of load from the rest of the machine falls on both sizes alike rather than on
whichever child ran at the time). The ratio is the 1M median ÷ the 100k median, p95 is
over every 1M request. --dashboard-cache N measures the pages as deployed instead: the
caches HOTLINE_DASHBOARD_CACHE_SECONDS governs (the dashboard's board, the assessment
figures) kept N seconds, warmed by the first request. The ledger export of a day
(~2,600 orders) is more than a request writes: it answers with a redirect to the
export's page and a worker writes the file (web/exports.py), so that row measures the
asking; the databases need web's migrations for it.
Writes bench/results/growth_pages.json (--result NAME: NAME.json).
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
    os.environ["HOTLINE_DASHBOARD_CACHE_SECONDS"] = os.environ.get("GROWTH_DASHBOARD_CACHE", "0")
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
    _campaign_and_topic()


BENCH_NAME = "growth bench"


def _campaign_and_topic() -> None:
    """A running campaign (专项行动) over one street and its three busiest categories, and
    an open topic (每月一题) on one of them, so their pages have something to show."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.utils import timezone

    from campaigns.models import Campaign
    from grids.models import OrgUnit
    from proactive.models import Topic, TopicOrder
    from workorders.models import WorkOrder

    supervisor = get_user_model().objects.get(username="supervisor")
    street = OrgUnit.objects.get(code="S01")
    today = timezone.localdate()
    busiest = list(
        WorkOrder.objects.filter(created_at__gte=timezone.now() - timezone.timedelta(days=30), category__isnull=False)
        .values_list("category_id", flat=True)
        .annotate(n=Count("id"))
        .order_by("-n")[:3]
    )
    campaign, made = Campaign.objects.get_or_create(
        name=BENCH_NAME,
        defaults={
            "owner": supervisor,
            "starts_on": today - timezone.timedelta(days=30),
            "ends_on": today + timezone.timedelta(days=30),
        },
    )
    if made:
        campaign.units.set([street])
        campaign.categories.set(busiest)
    topic, made = Topic.objects.get_or_create(
        title=BENCH_NAME,
        defaults={
            "plan": "-",
            "owner": supervisor,
            "due": today + timezone.timedelta(days=30),
            "category_id": busiest[0],
            "place": street,
            "created_by": supervisor,
            "created_at": timezone.now(),
        },
    )
    if made:  # the month's orders of its category in the street (what the detector would gather)
        month = WorkOrder.objects.filter(
            category_id=busiest[0], street=street, created_at__gte=timezone.now() - timezone.timedelta(days=30)
        ).order_by("-created_at")[:200]
        TopicOrder.objects.bulk_create([TopicOrder(topic=topic, order=o) for o in month])


def pages() -> list[tuple[str, str, str]]:
    """(label, username, url): what each role opens all day."""
    from django.utils import timezone

    from campaigns.models import Campaign
    from grids.models import OrgUnit
    from proactive.models import Topic
    from workorders.models import WorkOrder

    street = OrgUnit.objects.get(code="S01")
    recent = WorkOrder.objects.filter(street=street, status="in_progress").order_by("-id").first()
    campaign = Campaign.objects.get(name=BENCH_NAME)
    topic = Topic.objects.get(title=BENCH_NAME)
    today = timezone.localdate()
    start7 = (today - timezone.timedelta(days=6)).isoformat()
    return [
        # operator
        ("operator: console", "operator", "/ops/"),
        ("operator: submissions", "operator", "/ops/submissions/"),
        ("operator: callbacks", "operator", "/ops/callbacks/"),
        ("operator: API queue", "operator", "/api/v1/orders/queue"),
        ("operator: API list, newest", "operator", "/api/v1/orders"),
        ("operator: revisits", "operator", "/community/revisits/"),
        ("operator: knowledge base", "operator", "/kb/"),
        # dispatcher
        ("dispatcher: desk", "dispatcher", "/desk/"),
        ("dispatcher: API queue", "dispatcher", "/api/v1/orders/queue"),
        ("dispatcher: order filters", "dispatcher", "/campaigns/filters/"),
        # handlers
        ("street: workbench", "street", "/unit/"),
        ("street: workbench, overdue lights", "street", "/unit/?light=overdue"),
        ("street: API queue", "street", "/api/v1/orders/queue"),
        ("street: API overdue by due time", "street", "/api/v1/orders?overdue=true&ordering=due_at"),
        ("street: order page", "street", f"/orders/{recent.number}/"),
        ("street: care visits", "street", "/care/"),
        ("street: campaigns", "street", "/campaigns/"),
        ("street: assessment", "street", "/governance/"),
        ("community: workbench", "community", "/unit/"),
        ("community: API queue", "community", "/api/v1/orders/queue"),
        ("grid: workbench", "grid", "/unit/"),
        ("dept: workbench", "dept", "/unit/"),
        ("dept: API queue", "dept", "/api/v1/orders/queue"),
        # grid worker
        ("grid worker: my reports", "gridworker", "/patrol/mine/"),
        ("grid worker: API queue", "gridworker", "/api/v1/orders/queue"),
        ("grid worker: API list", "gridworker", "/api/v1/orders"),
        ("grid worker: patrol form", "gridworker", "/patrol/"),
        ("grid worker: care visits", "gridworker", "/care/"),
        ("grid worker: API care visits due", "gridworker", "/api/v1/care/visits/due"),
        # supervisor
        ("supervisor: dashboard (default 30 days)", "supervisor", "/dashboard/"),
        ("supervisor: dashboard 7 days, street", "supervisor", f"/dashboard/?start={start7}&unit={street.pk}"),
        ("supervisor: orders received (30 days)", "supervisor", "/orders/?figure=volume"),
        ("supervisor: orders overdue", "supervisor", "/orders/?figure=overdue"),
        # the orders behind a rate: a month's callbacks, a month's handling deadlines
        ("supervisor: orders behind satisfaction (30 days)", "supervisor", "/orders/?figure=satisfaction"),
        ("supervisor: orders behind on-time (30 days)", "supervisor", "/orders/?figure=on_time"),
        ("supervisor: ledger export, today", "supervisor", f"/orders/export.xlsx?figure=volume&start={today}"),
        ("supervisor: API list, in progress by due", "supervisor", "/api/v1/orders?status=in_progress&ordering=due_at"),
        ("supervisor: API overdue by due time", "supervisor", "/api/v1/orders?overdue=true&ordering=due_at"),
        ("supervisor: warnings and topics", "supervisor", "/proactive/"),
        ("supervisor: topic", "supervisor", f"/proactive/topics/{topic.pk}/"),
        ("supervisor: campaigns", "supervisor", "/campaigns/"),
        ("supervisor: campaign board", "supervisor", f"/campaigns/{campaign.pk}/"),
        ("supervisor: campaign orders", "supervisor", f"/campaigns/{campaign.pk}/orders/"),
        ("supervisor: assessment", "supervisor", "/governance/"),
        ("supervisor: property ranking", "supervisor", "/governance/property/"),
        ("supervisor: big screen", "supervisor", "/screens/"),
        ("supervisor: posters", "supervisor", "/posters/"),
        # a resident (no login) tracking their order by number and code
        (
            "resident: track an order (API)",
            "",
            f"/api/v1/public/track?number={recent.number}&code={recent.tracking_code}",
        ),
    ]


# Pages that answer with a redirect by design: a ledger this large is written by a worker,
# and the request only asks for it (web/exports.py); the worker's time is measured apart.
REDIRECTS = {"supervisor: ledger export, today"}


# Pages asked for by a form's POST, as their users do (asking for a ledger may create an
# export job, so a GET of it changes nothing and answers 405).
POSTS = {"supervisor: ledger export, today"}


def _ask(client, label: str, url: str):
    return client.post(url) if label in POSTS else client.get(url)


def _ok(label: str, status: int) -> bool:
    return status == 200 or (status == 302 and label in REDIRECTS)


def child(size: str, only: list[str]) -> None:
    """Serve the parent: warm every page (those of ``only``, if given), say "ready" with
    the order count, then for each page index read from stdin request that page once and
    answer the milliseconds."""
    setup(SIZES[size])
    from django.contrib.auth import get_user_model
    from django.test import Client

    from workorders.models import WorkOrder

    clients: dict[str, Client] = {}
    plan = pages()
    for label, username, url in plan:
        if only and not any(text in label for text in only):
            continue
        if username not in clients:
            clients[username] = Client()
            if username:
                clients[username].force_login(get_user_model().objects.get(username=username))
        response = _ask(clients[username], label, url)  # warm: caches, buffers, the plan
        assert _ok(label, response.status_code), (label, response.status_code)
        if response.streaming:
            b"".join(response.streaming_content)
    print(json.dumps({"orders": WorkOrder.objects.count(), "pages": [label for label, _u, _p in plan]}), flush=True)
    for line in sys.stdin:
        label, username, url = plan[int(line)]
        t0 = time.perf_counter()
        response = _ask(clients[username], label, url)
        if response.streaming:
            b"".join(response.streaming_content)
        elapsed = (time.perf_counter() - t0) * 1000
        assert _ok(label, response.status_code), (label, response.status_code)
        print(f"{elapsed:.3f}", flush=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=10, help="requests per page per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, each measuring both sizes")
    parser.add_argument("--prepare", action="store_true", help="shape both databases, then stop")
    parser.add_argument(
        "--dashboard-cache",
        type=int,
        default=0,
        help="HOTLINE_DASHBOARD_CACHE_SECONDS for the pages (0: every figure computed, the default)",
    )
    parser.add_argument(
        "--only", action="append", default=[], help="measure just the pages whose label holds this text (repeatable)"
    )
    parser.add_argument(
        "--result", default="growth_pages", help="name of the file written in bench/results/ (without .json)"
    )
    parser.add_argument("--child", choices=SIZES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.only)
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
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    if args.dashboard_cache:
        env["GROWTH_DASHBOARD_CACHE"] = str(args.dashboard_cache)
    for r in range(args.rounds):
        children = {
            size: subprocess.Popen(
                [sys.executable, str(Path(__file__)), "--child", size, *(f"--only={text}" for text in args.only)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            for size in SIZES
        }
        labels: list[str] = []
        for size, proc in children.items():
            hello = json.loads(proc.stdout.readline())
            orders[size], labels = hello["orders"], hello["pages"]
        for index, label in enumerate(labels):
            if args.only and not any(text in label for text in args.only):
                continue
            for rep in range(args.reps):
                order = list(SIZES) if (rep + r) % 2 == 0 else list(reversed(list(SIZES)))
                for size in order:
                    proc = children[size]
                    proc.stdin.write(f"{index}\n")
                    proc.stdin.flush()
                    times[size].setdefault(label, []).append(float(proc.stdout.readline()))
        for proc in children.values():
            proc.stdin.close()
            if proc.wait() != 0:
                raise SystemExit(f"child exited with {proc.returncode}")
        print(f"round {r + 1} measured", flush=True)

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
        args.result,
        {
            "command": "python bench/growth_pages.py " + " ".join(sys.argv[1:]),
            "dashboard_cache_seconds": args.dashboard_cache,
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
