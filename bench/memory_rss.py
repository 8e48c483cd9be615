"""Resident memory of a gunicorn worker and a Celery child after a standard run (issue 14,
item 3).

    .venv/bin/python bench/memory_rss.py [--seconds 10] [--port N]

Starts gunicorn (workers = cores, gthread ×4, DEBUG off, bench/api_settings.py, the app
preloaded in the master as deploy/gunicorn.conf.py does; --no-preload: each worker
imports it itself, as before 501e373) and one Celery worker (prefork ×2, every queue,
started as deployed: python -m hotline.celery_main) on a database of its own
(hotline_perf_mem, recreated with the demo district) and Redis db 3, then runs the
standard mix:
  1. hotline intakes over the API for --seconds (wrk, 16 connections), which the worker
     routes, assigns and notifies;
  2. every demo role logs in and opens its main pages (console, submissions, callbacks,
     desk, workbench, my reports, dashboard, the orders list, an order page) and its
     API queue and list, 5 times each;
  3. (separately reported) one ledger export and one QR poster, the features that load
     openpyxl, Pillow and qrcode into the worker that serves them.
RSS (VmRSS) of each gunicorn worker and each Celery child after 1–2 and after 3, with
PSS and USS beside it (/proc/PID/smaps_rollup; the target is RSS).

--trained: before the processes start, train the dispatch models on the demo history
(`manage.py train_dispatch_model` with HOTLINE_TRAIN_MIN_ORDERS lowered to what the 300
demo orders hold), so the worker routes every intake through the learned classifier
(model loading, jieba words, scoring) instead of the keyword rules of a cold start.
--arenas N: MALLOC_ARENA_MAX for gunicorn and the worker (2, as deployed; 0: glibc's
default of 8 per core); --malloc-default leaves glibc's malloc untouched instead (no
MALLOC_ARENA_MAX, no fixed MALLOC_MMAP_THRESHOLD_: the "before" figures).
--production-packages: gunicorn and the worker cannot import what only the development
install has (distributions outside requirements.txt's dependency closure: requests,
pygments, greenlet …), as on a server installed from requirements.txt. DRF and Celery
import several of those when they are there (rest_framework.compat: requests, pygments;
celery.utils.threads: greenlet), which the default run counts.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import api_common  # noqa: E402
from bench.api_common import HOST, Gunicorn, recreate_database, setup_django, write_result, wrk  # noqa: E402
from bench.procstat import children, pss_uss_mb, rss_mb  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotline_perf_mem")
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/3")
TARGET_MB = 80


# Installers' own tooling is in every virtualenv, whatever requirements.txt says.
VENV_TOOLING = {"pip", "setuptools", "wheel"}
BLOCKER = """
import os, sys
_BLOCKED = frozenset(os.environ.get("BENCH_BLOCKED_MODULES", "").split(","))
class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in _BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (not in requirements.txt)", name=name)
        return None
sys.meta_path.insert(0, _NotInstalled())
"""


def development_only_modules() -> list[str]:
    """Top-level modules that only distributions outside requirements.txt's dependency
    closure provide."""
    from importlib import metadata

    from packaging.requirements import Requirement

    def key(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    dists = {key(d.metadata["Name"]): d for d in metadata.distributions()}
    lines = (Path(__file__).resolve().parent.parent / "requirements.txt").read_text().splitlines()
    todo = [Requirement(line).name for line in lines if line.strip() and not line.startswith("#")]
    todo += sorted(VENV_TOOLING)
    needed: set[str] = set()
    while todo:
        name = key(todo.pop())
        if name in needed or name not in dists:
            continue
        needed.add(name)
        for spec in dists[name].requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return sorted(
        top
        for top, owners in metadata.packages_distributions().items()
        if not any(key(owner) in needed for owner in owners)
    )


def rss_of(pids: list[int]) -> list[float]:
    return [rss_mb(p) for p in pids if rss_mb(p) is not None]


def snapshot(web_pids: list[int], celery_pids: list[int]) -> dict:
    return {
        "gunicorn_workers_mb": rss_of(web_pids),
        "celery_children_mb": rss_of(celery_pids),
        "gunicorn_workers_pss_uss_mb": [pss_uss_mb(p) for p in web_pids],
        "celery_children_pss_uss_mb": [pss_uss_mb(p) for p in celery_pids],
    }


def browse(base: str, username: str, password: str, urls: list[str], repeat: int) -> dict[str, int]:
    import requests

    session = requests.Session()
    page = session.get(f"{base}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    statuses: dict[str, int] = {}
    for url in urls:
        method, _, path = url.rpartition(" ")
        for _ in range(repeat):
            if method == "POST":  # a ledger is asked for by the list's form (a GET starts nothing)
                token = {"csrfmiddlewaretoken": session.cookies.get("csrftoken", "")}
                statuses[url] = session.post(base + path, data=token, headers={"Referer": base + path}).status_code
            else:
                statuses[url] = session.get(base + path).status_code
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=api_common.PORT, help="gunicorn port (BENCH_PORT)")
    parser.add_argument("--trained", action="store_true", help="route with dispatch models trained on the demo")
    parser.add_argument("--arenas", type=int, default=2, help="MALLOC_ARENA_MAX (0: glibc's default)")
    parser.add_argument("--malloc-default", action="store_true", help="glibc malloc untouched")
    parser.add_argument("--no-preload", action="store_true", help="each gunicorn worker imports the app itself")
    parser.add_argument(
        "--production-packages", action="store_true", help="hide packages requirements.txt does not install"
    )
    args = parser.parse_args()
    # Inherited by gunicorn and the worker, as deploy/systemd sets them.
    os.environ.pop("MALLOC_ARENA_MAX", None)
    os.environ.pop("MALLOC_MMAP_THRESHOLD_", None)
    if not args.malloc_default:
        if args.arenas:
            os.environ["MALLOC_ARENA_MAX"] = str(args.arenas)
        os.environ["MALLOC_MMAP_THRESHOLD_"] = "131072"
    blocked: list[str] = []
    if args.production_packages:
        # sitecustomize runs at the start of every interpreter that has it on its path:
        # gunicorn (whose environment gets this PYTHONPATH) and the Celery worker.
        blocked = development_only_modules()
        site = Path(tempfile.mkdtemp(prefix="memory-rss-site-"))
        (site / "sitecustomize.py").write_text(BLOCKER)
        os.environ["BENCH_BLOCKED_MODULES"] = ",".join(blocked)
        os.environ["PYTHONPATH"] = f"{site}{os.pathsep}{api_common.ROOT}"
        print(f"hidden from gunicorn and the worker: {len(blocked)} top-level modules, e.g.", blocked[:12])
    api_common.set_port(args.port)
    workers = os.cpu_count() or 2

    os.environ["CELERY_BROKER_URL"] = BROKER
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.page_settings"  # pages render without collectstatic
    recreate_database(DATABASE_URL)
    setup_django(DATABASE_URL)
    import redis
    from django.core.management import call_command

    from api.tokens import api_token_create
    from bench.dispatch_common import start_worker
    from bench.intake_ratio import body
    from grids.models import OrgUnit, UnitKind
    from workorders.demo import data
    from workorders.demo.seed import seed_demo
    from workorders.models import WorkOrder

    call_command("migrate", verbosity=0)
    seed_demo(orders=300, days=30)
    trained = {}
    if args.trained:
        from django.conf import settings

        from triage.models import ModelVersion

        settings.HOTLINE_TRAIN_MIN_ORDERS = 50
        call_command("train_dispatch_model", verbosity=0)
        trained = {
            v.kind: {"classes": len(v.classes), "blob_mb": round(len(v.blob) / 2**20, 1), "top1": v.top1}
            for v in ModelVersion.objects.filter(is_active=True)
        }
        print("trained:", trained)
    grid = OrgUnit.objects.filter(kind=UnitKind.GRID).order_by("code").first()
    community = grid.parent
    ring = grid.boundary["coordinates"][0]
    lng = (min(p[0] for p in ring) + max(p[0] for p in ring)) / 2
    lat = (min(p[1] for p in ring) + max(p[1] for p in ring)) / 2
    from django.contrib.auth import get_user_model

    from workorders.models import Category

    category = Category.objects.filter(parent__isnull=False, routing="territorial").order_by("code").first().code
    token = api_token_create(user=get_user_model().objects.get(username="operator"), name="bench")[1]
    some_order = WorkOrder.objects.filter(street=community.parent).order_by("-id").first().number
    redis.Redis.from_url(BROKER).flushdb()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(
            'wrk.method = "POST"\n'
            f"wrk.body = [[{body(0, lat, lng, category)}]]\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Token {token}"\n'
        )
    pages = {
        "operator": ["/ops/", "/ops/submissions/", "/ops/callbacks/", f"/orders/{some_order}/"],
        "dispatcher": ["/desk/"],
        "street": ["/unit/", f"/orders/{some_order}/"],
        "community": ["/unit/"],
        "dept": ["/unit/"],
        "gridworker": ["/patrol/mine/", "/patrol/"],
        "supervisor": ["/dashboard/", "/orders/?figure=volume", "/orders/?figure=overdue"],
    }
    api = ["/api/v1/orders/queue", "/api/v1/orders", "/api/v1/orders?overdue=true&ordering=due_at"]
    base = f"http://{HOST}:{api_common.PORT}"
    load_before = os.getloadavg()
    result: dict = {}
    worker, tmp = start_worker("memory-rss", ["--pool=prefork", "--concurrency=2"])
    try:
        with Gunicorn(
            DATABASE_URL,
            workers,
            4,
            preload=not args.no_preload,
            env={
                "CELERY_BROKER_URL": BROKER,
                "DJANGO_SETTINGS_MODULE": "bench.page_settings",
                "PYTHONPATH": os.environ.get("PYTHONPATH", str(api_common.ROOT)),
            },
        ) as server:
            time.sleep(5)
            web_pids = children(server.proc.pid)
            celery_pids = children(worker.pid)
            result["at_start"] = snapshot(web_pids, celery_pids)
            intake = wrk("/api/v1/orders", seconds=args.seconds, connections=16, script=lua.name)
            statuses = {}
            for role, urls in pages.items():
                statuses[role] = browse(base, role, data.DEMO_PASSWORD, urls + api, repeat=5)
            time.sleep(8)  # the worker routes and notifies what the run created
            result["after_standard_run"] = snapshot(web_pids, celery_pids)
            extras = browse(
                base,
                "supervisor",
                data.DEMO_PASSWORD,
                ["POST /orders/export.xlsx?figure=volume", "/posters/", f"/posters/{community.code}.png"],
                repeat=2,
            )
            result["after_export_and_poster"] = {**snapshot(web_pids, celery_pids), "statuses": extras}
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
        os.unlink(lua.name)
        redis.Redis.from_url(BROKER).flushdb()
    routed = WorkOrder.objects.exclude(status="accepted").count()
    result["models"] = trained
    result["hidden_development_modules"] = blocked
    result["gunicorn_preload"] = not args.no_preload
    result["malloc"] = {k: os.environ.get(k, "glibc default") for k in ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_")}
    result["mix"] = {
        "intake_orders_per_s": intake["rps"],
        "intake_non_2xx": intake["non_2xx"],
        "orders_total": WorkOrder.objects.count(),
        "orders_past_accepted": routed,
        "page_statuses": statuses,
    }
    for phase in ("at_start", "after_standard_run", "after_export_and_poster"):
        r = result[phase]
        print(
            f"{phase:24} gunicorn workers {r['gunicorn_workers_mb']} MB, celery children {r['celery_children_mb']} MB"
            f" (PSS/USS {r['gunicorn_workers_pss_uss_mb']} / {r['celery_children_pss_uss_mb']})"
        )
    std = result["after_standard_run"]
    ok = max(std["gunicorn_workers_mb"] + std["celery_children_mb"]) <= TARGET_MB
    print(f"after the standard run, every process ≤ {TARGET_MB} MB: {ok}")
    write_result(
        ("memory_rss_trained" if args.trained else "memory_rss") + ("_production" if args.production_packages else ""),
        {
            "command": "python bench/memory_rss.py " + " ".join(sys.argv[1:]),
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "load_avg_before": load_before,
                "load_avg_after": os.getloadavg(),
            },
            **result,
        },
    )


if __name__ == "__main__":
    main()
