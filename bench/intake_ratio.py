"""Order intake over HTTP against a plain psycopg2 loop replaying exactly its statements
(issue 14, item 1), interleaved in one run.

    .venv/bin/python bench/intake_ratio.py [--seconds 10] [--rounds 3] [--threads 4] [--workers N]
        [--worker-class gthread|sync] [--port N] [--baseline]

1. Captures the statements one API intake sends (Django's execute_wrapper on a warm
   in-process request): nextval, the order INSERT, the event INSERT, the follow-up INSERT,
   inside one transaction.
2. Rounds, interleaved: (a) the loop — workers × threads connections (the same count as
   gunicorn's), each a thread replaying those statements with fresh values (order number,
   returned ids, timestamps) as fast as it can; (b) wrk POST /api/v1/orders against
   gunicorn (workers = cores, gthread, DEBUG off). The ratio is HTTP ÷ loop per pair; the
   figure is the median.
3. Server-side per order, from pg_stat_database during an HTTP round: transactions (a
   health-check SELECT 1 outside the transaction would add one) and rows inserted; broker
   messages per order (Redis LLEN of the routing queue). CPU per order on each side, from
   /proc (the loop's processes and their PostgreSQL backends; gunicorn's workers, their
   backends and wrk), and the ratio as if both were CPU-bound: on a shared machine a busy
   neighbour slows the CPU-hungry HTTP side more than the loop.
4. Open-loop latency at half the HTTP rate.
5. Routing latency (log_call event → assign event) with a real Celery worker, paced.
6. A profile of 300 in-process intakes by library (what DRF, Django, the service cost).
--baseline repeats one pair and the routing latency with the database health check on every
request (HOTLINE_DB_HEALTH_CHECK_IDLE=0). (It also published the nudge in the request, until
the web stopped sending any: the outbox relay in the worker wakes the drains.)
Database hotline_perf_intake (recreated), Redis db 3.
Writes bench/results/intake_ratio.json (--result names another file).
"""

from __future__ import annotations

import argparse
import cProfile
import enum
import json
import multiprocessing
import os
import platform
import pstats
import re
import resource
import signal
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import api_common  # noqa: E402
from bench.api_common import Gunicorn, paced, percentiles, recreate_database, setup_django, write_result, wrk  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotline_perf_intake")
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/3")


def body(i: int, lat: float, lng: float, category: str) -> str:
    return json.dumps(
        {
            "caller_phone": f"139{i:08d}",
            "caller_name": "张三",
            "title": "路口有人占道摆摊",
            "description": "每天傍晚在小区门口摆摊，影响通行。",
            "address": "滨河湾小区东门",
            "lat": lat,
            "lng": lng,
            "category": category,
        },
        ensure_ascii=False,
    )


def capture(client, payload: str) -> list[tuple[str, list]]:
    """The statements (with parameters) one warm intake sends."""
    from django.db import connection

    for _ in range(5):
        client.post("/api/v1/orders", payload, content_type="application/json")
    statements: list[tuple[str, list]] = []

    def record(execute, sql, params, many, context):
        statements.append((sql, list(params or [])))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = client.post("/api/v1/orders", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    return statements


def plain(value):
    return value.value if isinstance(value, enum.Enum) else value


def columns(sql: str) -> list[str]:
    match = re.match(r'INSERT INTO "\w+" \(([^)]*)\)', sql)
    return [c.strip().strip('"') for c in match.group(1).split(",")] if match else []


def fresh(col, p, now, number, tag, done, returned):
    """A captured parameter with this round's values: timestamps, number, returned ids."""
    if isinstance(p, datetime):
        return now
    if p == number:
        return f"R{tag}-{done:09d}"
    if col in ("order_id", "event_id") and col in returned:
        return returned[col]
    return p


def replay_thread(dsn: str, statements: list, number: str, stop_at: float, tag: str, out: list) -> None:
    """Replay the intake's statements in a loop on one connection; append the count.
    Each round gets a fresh order number and timestamps, and the order and event ids
    the earlier INSERTs returned go where the captured statements had theirs."""
    import psycopg2

    plan = [(sql, params, columns(sql), "RETURNING" in sql) for sql, params in statements]
    conn = psycopg2.connect(dsn)
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    backend = cur.fetchone()[0]
    conn.commit()
    done = 0
    while time.monotonic() < stop_at:
        now = datetime.now(UTC)
        returned: dict[str, int] = {}
        for sql, params, cols, returning in plan:
            values = []
            # A multi-row VALUES list repeats the columns once per row.
            names = cols * (len(params) // len(cols)) if cols else [None] * len(params)
            for col, p in zip(names, params, strict=True):
                # A bulk insert (Django 5.2 on PostgreSQL: INSERT ... SELECT * FROM
                # UNNEST(%s::type[], ...)) passes one list per column.
                if isinstance(p, list):
                    values.append([plain(fresh(col, v, now, number, tag, done, returned)) for v in p])
                else:
                    values.append(plain(fresh(col, p, now, number, tag, done, returned)))
            cur.execute(sql, values)
            if returning:
                table = sql.split('"')[1]
                returned[{"workorders_workorder": "order_id", "workorders_event": "event_id"}.get(table, table)] = (
                    cur.fetchone()[0]
                )
            elif sql.lstrip().upper().startswith("SELECT"):
                cur.fetchall()
        conn.commit()
        done += 1
    out.append((done, proc_cpu(backend)))  # the server's CPU for this connection, before it exits
    conn.close()


def replay_process(dsn, statements, number, threads, seconds, tag, queue) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop_at = time.monotonic() + seconds
    counts: list[tuple[int, float]] = []
    workers = [
        threading.Thread(target=replay_thread, args=(dsn, statements, number, stop_at, f"{tag}{t}", counts))
        for t in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put((sum(n for n, _ in counts), sum(cpu for _, cpu in counts)))


def loop_round(dsn, statements, number, workers, threads, seconds, round_no) -> tuple[float, float]:
    """Orders per second of workers × threads connections replaying the statements, and
    CPU ms per order (the loop's processes and their PostgreSQL backends)."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [
        ctx.Process(
            target=replay_process,
            args=(dsn, statements, number, threads, seconds, f"{round_no}{w}", queue),
        )
        for w in range(workers)
    ]
    cpu0 = children_cpu()
    t0 = time.monotonic()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    total = sum(n for n, _ in results)
    cpu = children_cpu() - cpu0 + sum(c for _, c in results)
    return total / (time.monotonic() - t0), cpu * 1000 / max(total, 1)


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) so far; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds of this process's waited-for children (wrk, the loop's processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_cpu(stats_cur, db_name: str, workers: list[int]) -> tuple[float, float]:
    """CPU seconds so far of gunicorn's workers, and of the database's backends (but the
    statistics connection's own)."""
    stats_cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [db_name])
    return sum(proc_cpu(pid) for pid in workers), sum(proc_cpu(pid) for (pid,) in stats_cur.fetchall())


def pg_counters(cur, name: str) -> tuple[int, int]:
    cur.execute("SELECT xact_commit, tup_inserted FROM pg_stat_database WHERE datname = %s", [name])
    return cur.fetchone()


def http_round(lua: str, seconds: int, connections: int, stats_cur, db_name: str, broker, master: int) -> dict:
    from workorders.models import WorkOrder

    workers = [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    before_orders = WorkOrder.objects.count()
    stats_cur.execute("SELECT pg_stat_clear_snapshot()")
    xact0, ins0 = pg_counters(stats_cur, db_name)
    msgs0 = broker.llen("routing")
    (app0, db0), wrk0 = server_cpu(stats_cur, db_name, workers), children_cpu()
    result = wrk("/api/v1/orders", seconds=seconds, connections=connections, script=lua)
    (app1, db1), wrk1 = server_cpu(stats_cur, db_name, workers), children_cpu()
    time.sleep(0.6)  # let the statistics collector catch up
    stats_cur.execute("SELECT pg_stat_clear_snapshot()")
    xact1, ins1 = pg_counters(stats_cur, db_name)
    created = WorkOrder.objects.count() - before_orders
    return {
        "orders_per_s": result["rps"],
        "created": created,
        "non_2xx": result["non_2xx"],
        "socket_errors": result["socket_errors"],
        "latency": result["latency"],
        # minus our own two count queries' transactions
        "server_transactions_per_order": round((xact1 - xact0 - 2) / max(created, 1), 3),
        "rows_inserted_per_order": round((ins1 - ins0) / max(created, 1), 3),
        "broker_messages_per_order": round((broker.llen("routing") - msgs0) / max(created, 1), 4),
        # gunicorn's workers (the nudge thread included), their PostgreSQL backends, wrk
        "cpu_ms_per_order": round((app1 - app0 + db1 - db0 + wrk1 - wrk0) * 1000 / max(created, 1), 3),
        "cpu_ms_per_order_gunicorn": round((app1 - app0) * 1000 / max(created, 1), 3),
        "cpu_ms_per_order_db": round((db1 - db0) * 1000 / max(created, 1), 3),
    }


def routing_latency(rate: float, seconds: float, headers: dict, body_for) -> dict:
    """Paced intakes with a real worker running; log_call → assign per order."""
    from django.db import connection

    from bench.dispatch_common import start_worker
    from workorders.models import FollowUp

    # Only this phase's orders: the backlog of the throughput rounds is not routed.
    FollowUp.objects.filter(state=FollowUp.State.PENDING).update(state=FollowUp.State.DONE)
    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM workorders_workorder")
        after = cur.fetchone()[0]
    # Nor the messages they queued: with one nudge per request (the baseline) thousands
    # of empty drains would sit ahead of this phase's.
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    worker, tmp = start_worker("intake-ratio", ["--pool=prefork", "--concurrency=2", "-Q", "routing,notifications"])
    try:
        time.sleep(8)  # worker start-up is not part of the measurement
        sent = paced("POST", "/api/v1/orders", rate=rate, seconds=seconds, headers=headers, body_for=body_for)
        # Until every order of the phase is routed (or 60 s): a percentile over the routed
        # ones only would hide the slow tail.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with connection.cursor() as cur:
                cur.execute("SELECT count(*) FROM workorders_workorder WHERE id > %s AND status = 'accepted'", [after])
                if cur.fetchone()[0] == 0:
                    break
            time.sleep(0.5)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    with connection.cursor() as cur:
        cur.execute(
            """SELECT extract(epoch FROM a.created_at - c.created_at) * 1000
               FROM workorders_event c
               JOIN LATERAL (SELECT min(created_at) AS created_at FROM workorders_event
                             WHERE order_id = c.order_id AND kind = 'assign') a ON true
               WHERE c.kind = 'log_call' AND c.order_id > %s""",
            [after],
        )
        rows = [r[0] for r in cur.fetchall()]
    routed = [float(ms) for ms in rows if ms is not None]
    return {"orders": sent["requests"], "routed": len(routed), **percentiles(routed), "intake": sent}


def profile(client, payload: str, n: int = 300) -> dict:
    """Share of in-process CPU time by where the code lives (tottime per file)."""
    prof = cProfile.Profile(time.process_time)  # CPU, not wall: the machine is shared
    prof.enable()
    for _ in range(n):
        client.post("/api/v1/orders", payload, content_type="application/json")
    prof.disable()
    stats = pstats.Stats(prof).stats
    buckets: dict[str, float] = {}
    apps = ("/api/", "/workorders/", "/grids/", "/dispatch/", "/hotline/", "/triage/")
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.items():
        if "/rest_framework/" in filename:
            key = "DRF"
        elif "/django/db/" in filename or "psycopg2" in filename or filename.startswith("<built-in method psycopg2"):
            key = "Django ORM + psycopg2 (incl. waiting for PostgreSQL)"
        elif "/django/" in filename:
            key = "Django (request, middleware, rest)"
        elif any(s in filename for s in ("/celery/", "/kombu/", "/redis/")):
            key = "Celery/kombu/redis (publish)"
        elif any(s in filename for s in apps) and "site-packages" not in filename:
            key = "Hotline code"
        else:
            key = "other (stdlib, json, built-ins)"
        buckets[key] = buckets.get(key, 0) + tottime
    total = sum(buckets.values())
    return {
        "ms_per_request": round(total / n * 1000, 2),
        "share": {k: round(v / total, 3) for k, v in sorted(buckets.items(), key=lambda kv: -kv[1])},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of (loop, HTTP) rounds")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers (default: cores)")
    parser.add_argument(
        "--worker-class", default="gthread", choices=["gthread", "sync"], help="sync: one thread, no keep-alive"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--route-rate", type=float, default=20.0, help="orders/s for the routing-latency phase")
    parser.add_argument("--baseline", action="store_true", help="also measure the old request path")
    parser.add_argument("--no-routing", action="store_true", help="skip the routing-latency phase (a quick A/B)")
    parser.add_argument("--result", default="intake_ratio", help="name of the result file under bench/results")
    parser.add_argument("--port", type=int, default=api_common.PORT, help="gunicorn port (BENCH_PORT)")
    args = parser.parse_args()
    api_common.set_port(args.port)
    workers = args.workers
    if args.worker_class == "sync":
        args.threads = 1  # gunicorn turns sync with threads > 1 into gthread

    os.environ["CELERY_BROKER_URL"] = BROKER
    os.environ.setdefault("HOTLINE_NOTIFY_BACKEND", "dispatch.backends.LogBackend")
    recreate_database(DATABASE_URL)
    setup_django(DATABASE_URL)
    import psycopg2
    import redis
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from api.tokens import api_token_create
    from grids.models import OrgUnit, UnitKind
    from workorders.demo.seed import seed_categories, seed_units, seed_users
    from workorders.models import WorkOrder

    call_command("migrate", verbosity=0)
    units = seed_units()
    category = [c for c in seed_categories(units) if c.routing == "territorial"][0].code
    users = seed_users(units)
    grid = OrgUnit.objects.filter(kind=UnitKind.GRID).order_by("code").first()
    ring = grid.boundary["coordinates"][0]
    lng = (min(p[0] for p in ring) + max(p[0] for p in ring)) / 2
    lat = (min(p[1] for p in ring) + max(p[1] for p in ring)) / 2
    token = api_token_create(user=users["operator"], name="bench")[1]
    broker = redis.Redis.from_url(BROKER)
    broker.flushdb()  # our own db (3): the routing queue's length is counted
    payload = body(0, lat, lng, category)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")

    statements = capture(client, payload)
    last = WorkOrder.objects.order_by("-id").first()
    print("statements per intake:", [sql.split("(")[0].strip()[:40] for sql, _ in statements])
    cpu_profile = profile(client, payload)
    print("in-process profile:", cpu_profile)
    connection.close()

    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(
            'wrk.method = "POST"\n'
            f"wrk.body = [[{payload}]]\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Token {token}"\n'
        )
    stats_conn = psycopg2.connect(DATABASE_URL)
    stats_conn.autocommit = True
    stats_cur = stats_conn.cursor()
    db_name = DATABASE_URL.rsplit("/", 1)[1]
    load_before = os.getloadavg()

    def run_pairs(n: int, tag: str, master: int) -> list[dict]:
        pairs = []
        for r in range(n):
            loop_rps, loop_cpu = loop_round(
                DATABASE_URL, statements, last.number, workers, args.threads, args.seconds, f"{tag}{r}"
            )
            http = http_round(lua.name, args.seconds, args.connections, stats_cur, db_name, broker, master)
            pairs.append(
                {
                    "loop_orders_per_s": round(loop_rps, 1),
                    "loop_cpu_ms_per_order": round(loop_cpu, 3),
                    "http": http,
                    "ratio": http["orders_per_s"] / loop_rps,
                    # What the ratio would be if both were bound by CPU alone (the machine
                    # is shared: a busy neighbour slows the CPU-hungry side more).
                    "cpu_ratio": loop_cpu / http["cpu_ms_per_order"],
                }
            )
            print(
                f"[{tag}] round {r + 1}: loop {loop_rps:.0f}/s, HTTP {http['orders_per_s']:.0f}/s, "
                f"ratio {pairs[-1]['ratio']:.3f}; CPU ms per order: loop {loop_cpu:.2f}, HTTP "
                f"{http['cpu_ms_per_order']:.2f} (gunicorn {http['cpu_ms_per_order_gunicorn']:.2f}, "
                f"PostgreSQL {http['cpu_ms_per_order_db']:.2f}), "
                f"ratio {pairs[-1]['cpu_ratio']:.3f}; per order: {http['server_transactions_per_order']} transactions, "
                f"{http['rows_inserted_per_order']} rows, {http['broker_messages_per_order']} broker messages",
                flush=True,
            )
        return pairs

    def body_for(i: int) -> bytes:
        return body(i, lat, lng, category).encode()

    result: dict = {}
    with Gunicorn(
        DATABASE_URL,
        workers,
        args.threads,
        env={"CELERY_BROKER_URL": BROKER},
        worker_class=args.worker_class,
        preload=True,  # as deploy/gunicorn.conf.py
    ) as server:
        wrk("/api/v1/orders", seconds=3, connections=args.connections, script=lua.name)  # warm up
        pairs = run_pairs(args.rounds, "a", server.proc.pid)
        ratio = statistics.median(p["ratio"] for p in pairs)
        cpu_ratio = statistics.median(p["cpu_ratio"] for p in pairs)
        http_rate = statistics.median(p["http"]["orders_per_s"] for p in pairs)
        half = round(http_rate / 2, 1)
        latency = paced(
            "POST", "/api/v1/orders", rate=half, seconds=args.seconds * 2, headers=headers, body_for=body_for
        )
        print(f"open loop at {half}/s: {latency}", flush=True)
        routing = None if args.no_routing else routing_latency(args.route_rate, 20, headers, body_for)
        print(f"routing latency at {args.route_rate}/s: {routing}", flush=True)
    result["current"] = {
        "pairs": pairs,
        "ratio_median": round(ratio, 3),
        "cpu_ratio_median": round(cpu_ratio, 3),
        "http_orders_per_s_median": http_rate,
        "open_loop_half_rate": latency,
        "routing_latency": routing,
    }
    if args.baseline:
        env = {"CELERY_BROKER_URL": BROKER, "HOTLINE_DB_HEALTH_CHECK_IDLE": "0"}
        with Gunicorn(
            DATABASE_URL, workers, args.threads, env=env, worker_class=args.worker_class, preload=True
        ) as server:
            wrk("/api/v1/orders", seconds=3, connections=args.connections, script=lua.name)
            old_pairs = run_pairs(1, "b", server.proc.pid)
            old_routing = None if args.no_routing else routing_latency(args.route_rate, 20, headers, body_for)
            print(f"[baseline] routing latency at {args.route_rate}/s: {old_routing}", flush=True)
        result["baseline_old_request_path"] = {"pairs": old_pairs, "routing_latency": old_routing}
    os.unlink(lua.name)
    broker.flushdb()

    print(f"\nHTTP intake ÷ psycopg2 loop (median of {args.rounds} interleaved pairs): {ratio:.3f}  (target ≥ 0.5)")
    print(f"the same by CPU per order (loop ÷ HTTP, as if both were CPU-bound): {cpu_ratio:.3f}")
    print(f"open-loop p95 at half capacity ({half}/s): {latency.get('p95_ms')} ms  (target ≤ 50 ms)")
    write_result(
        args.result,
        {
            "command": "python bench/intake_ratio.py " + " ".join(sys.argv[1:]),
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "load_avg_before": load_before,
                "load_avg_after": os.getloadavg(),
            },
            "gunicorn": {"workers": workers, "threads": args.threads, "worker_class": args.worker_class},
            "loop_connections": workers * args.threads,
            "wrk": {"connections": args.connections, "seconds": args.seconds},
            "statements": [sql for sql, _ in statements],
            "inprocess_profile": cpu_profile,
            **result,
        },
    )


if __name__ == "__main__":
    main()
