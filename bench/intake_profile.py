"""Where one warm API intake spends its CPU, through the real WSGI handler (issue 14).

    .venv/bin/python bench/intake_profile.py [--requests 400] [--reuse] [--top 35] [--middleware]

Each request is a WSGI environ handed to ``hotline.wsgi.application`` as gunicorn would
(not the test client, which adds its own signal handlers and response bookkeeping), with
the bench settings (DEBUG off, persistent connection) on PostgreSQL, its own database
(hotline_perf_intake_profile) and Redis db 8 for the broker. Prints:
- CPU (process time) and wall time per request, and the statements one request sends;
- cProfile of ``--requests`` requests: top functions by own time and by cumulative time,
  and own time by library;
- with ``--middleware``: each middleware's marginal CPU per request (the handler rebuilt
  without it, interleaved with the full stack, medians of 5 alternations).
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

from bench.api_common import ensure_database, recreate_database, setup_django  # noqa: E402
from bench.intake_ratio import body  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotline_perf_intake_profile")


def environ_for(payload: bytes, token: str) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/orders",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(payload)),
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Token {token}",
        "HTTP_ACCEPT": "application/json",
        "wsgi.input": io.BytesIO(payload),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def call(app, payload: bytes, token: str) -> int:
    status: list[str] = []
    result = app(environ_for(payload, token), lambda s, h, exc_info=None: status.append(s))
    try:
        b"".join(result)
    finally:
        result.close()  # request_finished, as gunicorn does
    return int(status[0].split()[0])


def per_request(app, payload: bytes, token: str, n: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per request over n requests."""
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        call(app, payload, token)
    return (time.process_time() - c0) / n * 1000, (time.perf_counter() - w0) / n * 1000


def by_library(stats: dict) -> dict[str, float]:
    buckets: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.items():
        if "/rest_framework/" in filename:
            key = "DRF"
        elif "/django/db/" in filename or "psycopg2" in filename or "psycopg2" in name:
            key = "Django ORM + psycopg2"
        elif "/django/" in filename:
            key = "Django (request, middleware, rest)"
        elif any(s in filename for s in ("/celery/", "/kombu/", "/redis/")):
            key = "Celery/kombu/redis"
        elif "site-packages" in filename:
            key = filename.split("site-packages/")[1].split("/")[0]
        elif str(Path(__file__).resolve().parent.parent) in filename:
            key = "Hotline code"
        elif filename == "~":
            key = "built-ins: " + name.split(" of ")[0][:40]
        else:
            key = "stdlib"
        buckets[key] = buckets.get(key, 0) + tottime
    return buckets


def middleware_costs(payload: bytes, token: str, n: int = 2000) -> None:
    """What each middleware adds to a token-authenticated JSON POST: the real handler
    built with the first k middlewares, around a csrf-exempt view (as DRF's are) that
    answers JSON at once; cost(k) = time(first k) - time(first k-1). Best of 5 loops of
    process time (the machine is shared)."""
    import types

    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.http import JsonResponse
    from django.test.utils import override_settings
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    @csrf_exempt
    def bare(request):
        return JsonResponse({"number": "x"}, status=201)

    urls = types.ModuleType("intake_profile_urls")
    urls.urlpatterns = [path("api/v1/orders", bare, name="order-list")]  # type: ignore[attr-defined]

    def loop(app) -> float:
        best = float("inf")
        for _ in range(5):
            t0 = time.process_time()
            for _ in range(n):
                call(app, payload, token)
            best = min(best, time.process_time() - t0)
        return best / n * 1000

    full = list(settings.MIDDLEWARE)
    with override_settings(ROOT_URLCONF=urls):
        times = []
        for k in range(len(full) + 1):
            with override_settings(MIDDLEWARE=full[:k]):
                app = WSGIHandler()
            times.append(loop(app))
    print(f"\nCPU per request of a csrf-exempt JSON view: {times[0]:.3f} ms with no middleware; added by each:")
    for k, name in enumerate(full, start=1):
        print(f"  {times[k] - times[k - 1]:+7.3f} ms  {name}")
    print(f"  {times[-1] - times[0]:+7.3f} ms  all of them")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--middleware", action="store_true", help="marginal cost of each middleware")
    parser.add_argument("--dump", help="also write the cProfile stats to this file (pstats)")
    args = parser.parse_args()

    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/8")
    fresh = not (args.reuse and ensure_database(DATABASE_URL))
    if fresh:
        recreate_database(DATABASE_URL)
    setup_django(DATABASE_URL)
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    from api.tokens import api_token_create
    from grids.models import OrgUnit, UnitKind
    from workorders.demo.seed import seed_categories, seed_units, seed_users

    if fresh:
        call_command("migrate", verbosity=0)
        units = seed_units()
        seed_categories(units)
        seed_users(units)
    from django.contrib.auth import get_user_model

    from workorders.models import Category

    category = Category.objects.filter(routing="territorial", parent__isnull=False).order_by("code").first().code
    operator = get_user_model().objects.get(username="operator")
    grid = OrgUnit.objects.filter(kind=UnitKind.GRID).order_by("code").first()
    ring = grid.boundary["coordinates"][0]
    lng = (min(p[0] for p in ring) + max(p[0] for p in ring)) / 2
    lat = (min(p[1] for p in ring) + max(p[1] for p in ring)) / 2
    token = api_token_create(user=operator, name="profile")[1]
    payload = body(0, lat, lng, category).encode()

    app = get_wsgi_application()
    assert call(app, payload, token) == 201
    for _ in range(50):
        call(app, payload, token)

    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql.split("(")[0].strip()[:60])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        call(app, payload, token)
    print("statements per request:", statements)

    cpu, wall = per_request(app, payload, token, args.requests)
    print(f"per request, unprofiled: CPU {cpu:.2f} ms, wall {wall:.2f} ms (load {os.getloadavg()[0]:.1f})")

    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for _ in range(args.requests):
        call(app, payload, token)
    prof.disable()
    if args.dump:
        prof.dump_stats(args.dump)
    out = io.StringIO()
    st = pstats.Stats(prof, stream=out)
    st.sort_stats("tottime").print_stats(args.top)
    st.sort_stats("cumulative").print_stats(args.top + 25)
    print(out.getvalue())
    buckets = by_library(st.stats)
    total = sum(buckets.values())
    print(f"own CPU by library ({total / args.requests * 1000:.2f} ms/request under the profiler):")
    for key, value in sorted(buckets.items(), key=lambda kv: -kv[1])[:25]:
        print(f"  {value / total:6.1%}  {value / args.requests * 1000:6.3f} ms  {key}")

    if args.middleware:
        middleware_costs(payload, token)


if __name__ == "__main__":
    main()
