"""Order intake over HTTP under gunicorn on PostgreSQL, against a bare Django JSON view
served by the same gunicorn in the same run.

    .venv/bin/python bench/api_intake.py [--seconds 20] [--threads 4]

1. bare:    wrk GET /bench/bare (a JsonResponse, same middleware) → requests/s;
2. intake:  wrk POST /api/v1/orders (log a call as the operator, token auth, the whole
            service: validation, locate(), number, event, routing task queued to Redis
            after commit) → orders/s, errors;
3. latency: a paced open-loop client at half the intake rate → p50/p95/p99.
gunicorn: --workers = cores, gthread --threads N. Writes bench/results/api_intake.json.
Uses its own database (hotline_bench_api, recreated) and Redis db 14 (flushed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import api_common  # noqa: E402
from bench.api_common import Gunicorn, paced, recreate_database, setup_django, write_result, wrk  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotline_bench_api")
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")


def body(i: int, lat: float, lng: float) -> str:
    return json.dumps(
        {
            "caller_phone": f"139{i:08d}",
            "caller_name": "张三",
            "title": "路口有人占道摆摊",
            "description": "每天傍晚在小区门口摆摊，影响通行。",
            "address": "滨河湾小区东门",
            "lat": lat,
            "lng": lng,
            "category": CATEGORY,
        },
        ensure_ascii=False,
    )


CATEGORY = ""


def main() -> None:
    global CATEGORY
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=api_common.PORT, help="gunicorn port (BENCH_PORT)")
    args = parser.parse_args()
    api_common.set_port(args.port)
    workers = os.cpu_count() or 2

    os.environ["CELERY_BROKER_URL"] = BROKER
    recreate_database(DATABASE_URL)
    setup_django(DATABASE_URL)
    import redis
    from django.core.management import call_command

    from api.tokens import api_token_create
    from grids.models import OrgUnit, UnitKind
    from workorders.demo.seed import seed_categories, seed_units, seed_users

    call_command("migrate", verbosity=0)
    units = seed_units()
    categories = [c for c in seed_categories(units) if c.routing == "territorial"]
    users = seed_users(units)
    CATEGORY = categories[0].code
    grid = OrgUnit.objects.filter(kind=UnitKind.GRID).order_by("code").first()
    ring = grid.boundary["coordinates"][0]
    lng = (min(p[0] for p in ring) + max(p[0] for p in ring)) / 2
    lat = (min(p[1] for p in ring) + max(p[1] for p in ring)) / 2
    token = api_token_create(user=users["operator"], name="bench")[1]
    redis.Redis.from_url(BROKER).flushdb()

    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(
            'wrk.method = "POST"\n'
            f"wrk.body = [[{body(0, lat, lng)}]]\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Token {token}"\n'
        )

    from django.test import Client

    from workorders.models import WorkOrder

    # CPU time of one intake / one bare request served in-process (same code path minus
    # gunicorn and the socket): what the shared machine's load cannot change.
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    cpu = {}
    for name, call in {
        "intake": lambda i: client.post("/api/v1/orders", body(i, lat, lng), content_type="application/json"),
        "bare": lambda i: client.get("/bench/bare"),
    }.items():
        for i in range(5):
            call(i)
        t0 = time.process_time()
        for i in range(50):
            call(i)
        cpu[name] = round((time.process_time() - t0) / 50 * 1000, 2)
    print("in-process CPU ms per request:", cpu)
    load_before = os.getloadavg()

    with Gunicorn(DATABASE_URL, workers, args.threads, env={"CELERY_BROKER_URL": BROKER}):
        wrk("/bench/bare", seconds=3, connections=args.connections)  # warm up both paths
        wrk("/api/v1/orders", seconds=3, connections=args.connections, script=lua.name)
        bare = wrk("/bench/bare", seconds=args.seconds, connections=args.connections)
        before = WorkOrder.objects.count()
        intake = wrk("/api/v1/orders", seconds=args.seconds, connections=args.connections, script=lua.name)
        created = WorkOrder.objects.count() - before
        half = round(intake["rps"] / 2, 1)
        latency = paced(
            "POST",
            "/api/v1/orders",
            rate=half,
            seconds=args.seconds,
            headers=headers,
            body_for=lambda i: body(i, lat, lng).encode(),
        )
    os.unlink(lua.name)
    redis.Redis.from_url(BROKER).flushdb()

    ratio = intake["rps"] / bare["rps"]
    result = {
        "command": "python bench/api_intake.py " + " ".join(sys.argv[1:]),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_before": load_before,
            "load_avg_after": os.getloadavg(),
        },
        "inprocess_cpu_ms_per_request": cpu,
        "gunicorn": {"workers": workers, "threads": args.threads, "worker_class": "gthread"},
        "wrk": {"connections": args.connections, "seconds": args.seconds},
        "bare_rps": bare["rps"],
        "intake_orders_per_s": intake["rps"],
        "intake_orders_created": created,
        "intake_non_2xx": intake["non_2xx"],
        "intake_socket_errors": intake["socket_errors"],
        "intake_latency_closed_loop": intake["latency"],
        "ratio_to_bare": round(ratio, 3),
        "half_load": latency,
        "targets": {
            "ratio_ge_0.20": ratio >= 0.20,
            "orders_per_s_ge_250": intake["rps"] >= 250,
            "half_load_p95_le_100ms": latency.get("p95_ms", 1e9) <= 100,
            "zero_errors": intake["non_2xx"] == 0
            and intake["socket_errors"] == 0
            and latency["errors"] == 0
            and set(latency["statuses"]) == {201},
        },
    }
    print(f"bare view:      {bare['rps']:.0f} req/s")
    print(f"order intake:   {intake['rps']:.0f} orders/s ({created} created, non-2xx {intake['non_2xx']})")
    print(f"ratio:          {ratio:.3f}")
    print(
        f"half load {half}/s: p50 {latency.get('p50_ms')} ms, p95 {latency.get('p95_ms')} ms, "
        f"p99 {latency.get('p99_ms')} ms, statuses {latency['statuses']}, errors {latency['errors']}"
    )
    print("targets:", result["targets"])
    print("written:", write_result("api_intake", result))


if __name__ == "__main__":
    main()
