"""Where one warm API action (sign, reply, approve …) spends its CPU, through the real
WSGI handler (issue 14, target 4: the whole system's CPU at 6 orders/s).

    .venv/bin/python bench/action_profile.py [--orders 300] [--top 30] [--kinds sign,reply,approve]

The whole-system load test (bench/system_load.py) spends most of the web process's CPU
not on intake but on the day's other requests: handlers signing and replying, the
dispatcher approving, operators calling back. This bench makes --orders orders in the
test district (hotline.testing.build_district) on PostgreSQL (its own database,
hotline_perf_action; BENCH_DATABASE_URL overrides), assigns them to street A, then
drives each order through sign → reply → approve as a handler and the dispatcher would,
each a POST handed to ``hotline.wsgi.application`` as gunicorn would. Prints, per kind:
CPU (process time) and wall per request, statements per request; then a cProfile of
the sign and reply requests: top functions by own and cumulative time, own time by
library. Writes bench/results/action_profile.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_common import recreate_database, setup_django, write_result  # noqa: E402
from bench.intake_profile import by_library, environ_for  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotline_perf_action")


def call(app, path: str, body: dict, token: str) -> int:
    status: list[str] = []
    environ = environ_for(json.dumps(body).encode(), token)  # intake's POST, to another path
    environ["PATH_INFO"] = path
    result = app(environ, lambda s, h, exc_info=None: status.append(s))
    try:
        b"".join(result)
    finally:
        result.close()
    return int(status[0].split()[0])


STEPS = [
    ("sign", "handler_a", {}),
    ("reply", "handler_a", {"reply": "已到现场处理完毕。"}),
    ("approve", "dispatcher", {}),
]


def make_orders(d, n: int, tag: str) -> list[str]:
    """n hotline calls assigned to street A by the dispatcher; their numbers."""
    from workorders import services

    numbers = []
    for i in range(n):
        order = services.work_order_intake(
            channel="hotline",
            title=f"路口占道摆摊 {tag}{i}",
            description="每天傍晚在幸福里小区门口摆摊，影响通行。",
            category=d.cat_territorial,
            actor=d.users["operator"],
            lat=39.905,
            lng=116.305,
            auto_dispatch=False,
            caller_name="张三",
            caller_phone="13800000000",
        )
        services.work_order_assign(order=order, actor=d.users["dispatcher"], unit=d.street_a)
        numbers.append(order.number)
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--warm", type=int, default=30)
    args = parser.parse_args()

    recreate_database(DATABASE_URL)
    setup_django(DATABASE_URL)
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from api.tokens import api_token_create
    from hotline.testing import build_district
    from hotline.wsgi import application

    d = build_district()
    tokens = {k: api_token_create(user=u)[1] for k, u in d.users.items()}
    numbers = make_orders(d, args.orders + args.warm, "")
    warm, measured = numbers[: args.warm], numbers[args.warm :]
    for number in warm:
        for kind, who, body in STEPS:
            assert call(application, f"/api/v1/orders/{number}/{kind}", body, tokens[who]) == 200, kind

    results: dict = {"orders": len(measured), "kinds": {}}
    profiles = {}
    for kind, who, body in STEPS:
        # statements of one request
        with CaptureQueriesContext(connection) as q:
            assert call(application, f"/api/v1/orders/{measured[0]}/{kind}", body, tokens[who]) == 200
        statements = [x["sql"][:90] for x in q.captured_queries]
        profile = cProfile.Profile(time.process_time)  # CPU, not waits on PostgreSQL
        c0, w0 = time.process_time(), time.perf_counter()
        for number in measured[1:]:
            profile.enable()
            code = call(application, f"/api/v1/orders/{number}/{kind}", body, tokens[who])
            profile.disable()
            assert code == 200, (kind, code)
        n = len(measured) - 1
        cpu, wall = (time.process_time() - c0) / n * 1000, (time.perf_counter() - w0) / n * 1000
        profiles[kind] = profile
        results["kinds"][kind] = {"statements": len(statements), "cpu_ms_profiled": round(cpu, 2), "sql": statements}
        print(f"{kind:8} {len(statements):2d} statements, {cpu:6.2f} ms CPU/request profiled ({wall:.2f} wall)")
        for sql in statements:
            print("     ", sql)
    # unprofiled CPU per request: a fresh batch through the same three steps
    more = make_orders(d, 100, "x")
    for kind, who, body in STEPS:
        c0 = time.process_time()
        for number in more:
            assert call(application, f"/api/v1/orders/{number}/{kind}", body, tokens[who]) == 200
        cpu = (time.process_time() - c0) / len(more) * 1000
        results["kinds"][kind]["cpu_ms"] = round(cpu, 2)
        print(f"{kind:8} {cpu:6.2f} ms CPU/request (no profiler)")
    for kind in ("sign", "reply"):
        out = io.StringIO()
        stats = pstats.Stats(profiles[kind], stream=out)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
        print(f"\n===== {kind} =====")
        print(out.getvalue())
        libs = by_library(stats.stats)  # type: ignore[attr-defined]
        total = sum(libs.values())
        print("own time by library:")
        for key, value in sorted(libs.items(), key=lambda kv: -kv[1])[:15]:
            print(f"  {value / total * 100:5.1f} %  {key}")
    print("written to", write_result("action_profile", results))


if __name__ == "__main__":
    main()
