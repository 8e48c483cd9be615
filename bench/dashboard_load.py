"""Load a PostgreSQL database with N orders for the dashboard benchmark.

    .venv/bin/python bench/dashboard_load.py --orders 1000000

Uses its own database (hotline_bench_web by default; BENCH_DATABASE_URL overrides),
seeds the demo district (units with boundaries, 118 categories, users) through the
real services, then adds synthetic orders with SQL ``generate_series`` in batches,
with the rows the dashboard reads: a creation event, a callback event for closed
orders (payload as work_order_callback writes it), and sign/handle deadlines
(met, breached or open), and finally rebuilds the dashboard's daily roll-up
(``manage.py rollup_rebuild``, timed). Idempotent: tops up to N.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotline_bench_web")


def ensure_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    name = url.rsplit("/", 1)[1]
    conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def setup_django() -> None:
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    os.environ.setdefault("DEBUG", "1")  # as before DEBUG became off by default
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    import django

    django.setup()


BATCH_SQL = """
WITH x AS (
    SELECT s,
           -- orders arrive in time order, so the heap is laid out by created_at as in
           -- production (a random order would make every period read the whole table)
           now() - make_interval(secs => %(days)s * 86400 * (1 - s::float8 / %(total)s) + random() * 600) AS created,
           random() AS r, random() AS r2,
           floor(random() * %(gn)s)::int AS gi,
           floor(random() * %(cn)s)::int AS ci
    FROM generate_series(%(lo)s, %(hi)s) s
)
INSERT INTO workorders_workorder (
    number, channel, request_type, caller_name, caller_phone, caller_confidential, title, description,
    address, lat, lng, street_id, community_id, grid_id, category_id, urgency, status, lead_unit_id,
    current_unit_id, reply, replied_at, callback_contacted, callback_resolution, callback_satisfaction,
    callback_attempts, reopen_count, return_count, due_at, tracking_code, version, created_at, updated_at,
    closed_at
)
SELECT 'B' || lpad(s::text, 13, '0'), 'hotline', 'complaint', '基准', '139' || lpad((s %% 100000000)::text, 8, '0'),
       false, '基准工单', '基准数据', '', NULL, NULL, g.street_id, g.community_id, g.grid_id, c.id,
       'normal',
       CASE WHEN x.created < now() - interval '10 days' OR x.r < 0.5 THEN 'closed' ELSE 'in_progress' END,
       g.street_id, g.street_id, '已处理',
       CASE WHEN x.created < now() - interval '10 days' OR x.r < 0.5
            THEN x.created + make_interval(secs => 3600 + x.r2 * 6 * 86400) END,
       CASE WHEN x.created < now() - interval '10 days' OR x.r < 0.5 THEN true END,
       CASE WHEN x.created < now() - interval '10 days' OR x.r < 0.5
            THEN (CASE WHEN x.r2 < 0.8 THEN 'solved' WHEN x.r2 < 0.92 THEN 'partly' ELSE 'unsolved' END) ELSE '' END,
       CASE WHEN x.created < now() - interval '10 days' OR x.r < 0.5
            THEN (CASE WHEN x.r2 < 0.75 THEN 'satisfied' WHEN x.r2 < 0.93 THEN 'basic' ELSE 'unsatisfied' END)
            ELSE '' END,
       0, 0, 0,
       CASE WHEN x.created < now() - interval '10 days' OR x.r < 0.5 THEN NULL
            ELSE x.created + interval '7 days' END,
       'BENCH1', 5, x.created, x.created,
       CASE WHEN x.created < now() - interval '10 days' OR x.r < 0.5
            THEN x.created + make_interval(secs => 3600 + x.r2 * 7 * 86400) END
FROM x JOIN bench_g g ON g.i = x.gi JOIN bench_c c ON c.i = x.ci
"""

EVENTS_SQL = """
INSERT INTO workorders_event (order_id, seq, kind, actor_role, from_status, to_status, note, payload, created_at)
SELECT id, 1, 'log_call', 'system', '', 'accepted', '', '{}'::jsonb, created_at
FROM workorders_workorder WHERE id > %(after)s AND number LIKE 'B%%';
INSERT INTO workorders_event (order_id, seq, kind, actor_role, from_status, to_status, note, payload, created_at)
SELECT id, 2, CASE WHEN callback_satisfaction = 'unsatisfied' THEN 'reopen' ELSE 'callback_close' END,
       'operator', 'callback', 'closed', '',
       jsonb_build_object('contacted', true, 'resolution', callback_resolution,
                          'satisfaction', callback_satisfaction, 'attempt', 1, 'lead_unit', lead_unit_id),
       closed_at
FROM workorders_workorder WHERE id > %(after)s AND number LIKE 'B%%' AND status = 'closed';
INSERT INTO workorders_deadline (order_id, stage, unit_id, "limit", opened_at, warn_at, due_at, closed_at, state,
                                 extended_count)
SELECT id, 'sign', lead_unit_id, '30m', created_at, created_at + interval '22 minutes',
       created_at + interval '30 minutes', created_at + make_interval(secs => (id %% 45) * 60),
       CASE WHEN (id %% 45) <= 30 THEN 'met' ELSE 'breached' END, 0
FROM workorders_workorder WHERE id > %(after)s AND number LIKE 'B%%';
INSERT INTO workorders_deadline (order_id, stage, unit_id, "limit", opened_at, warn_at, due_at, closed_at, state,
                                 extended_count)
SELECT id, 'handle', lead_unit_id, '7d', created_at, created_at + interval '126 hours',
       created_at + interval '7 days', replied_at,
       CASE WHEN replied_at IS NULL THEN 'open'
            WHEN replied_at <= created_at + interval '7 days' THEN 'met' ELSE 'breached' END, 0
FROM workorders_workorder WHERE id > %(after)s AND number LIKE 'B%%';
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--cluster", action="store_true", help="rewrite tables in time order (old loads)")
    parser.add_argument("--seed-orders", type=int, default=300, help="orders simulated through the workflow")
    args = parser.parse_args()
    ensure_database(URL)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from workorders.demo.seed import seed_demo
    from workorders.models import WorkOrder

    call_command("migrate", verbosity=0)
    if not WorkOrder.objects.exclude(number__startswith="B").exists():
        t = time.perf_counter()
        seed_demo(orders=args.seed_orders, days=90)
        print(f"demo district seeded in {time.perf_counter() - t:.0f}s")
    have = WorkOrder.objects.filter(number__startswith="B").count()
    total = WorkOrder.objects.count()
    want = args.orders - total + have
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_g; DROP TABLE IF EXISTS bench_c;")
        cur.execute(
            "CREATE TABLE bench_g AS SELECT (row_number() OVER (ORDER BY grid.id) - 1)::int AS i, grid.id AS grid_id, "
            "grid.parent_id AS community_id, comm.parent_id AS street_id FROM grids_orgunit grid "
            "JOIN grids_orgunit comm ON comm.id = grid.parent_id WHERE grid.kind = 'grid'"
        )
        cur.execute(
            "CREATE TABLE bench_c AS SELECT (row_number() OVER (ORDER BY id) - 1)::int AS i, id FROM "
            "workorders_category WHERE parent_id IS NOT NULL AND is_active"
        )
        cur.execute("SELECT count(*) FROM bench_g")
        gn = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM bench_c")
        cn = cur.fetchone()[0]
        lo = have + 1
        while lo <= want:
            hi = min(want, lo + args.batch - 1)
            t = time.perf_counter()
            cur.execute("SELECT coalesce(max(id), 0) FROM workorders_workorder")
            after = cur.fetchone()[0]
            cur.execute(BATCH_SQL, {"lo": lo, "hi": hi, "days": args.days, "gn": gn, "cn": cn, "total": want})
            cur.execute(EVENTS_SQL, {"after": after})
            connection.commit() if not connection.get_autocommit() else None
            print(f"orders {lo}..{hi} in {time.perf_counter() - t:.1f}s", flush=True)
            lo = hi + 1
        cur.execute("DROP TABLE bench_g; DROP TABLE bench_c;")
        if args.cluster:
            # A database filled before the loader wrote rows in time order: lay the
            # tables out by time, as a production database that grew day by day is.
            for table, column in (
                ("workorders_workorder", "created_at"),
                ("workorders_event", "created_at"),
                ("workorders_deadline", "opened_at"),
            ):
                t = time.perf_counter()
                cur.execute(f"CREATE INDEX IF NOT EXISTS bench_tmp_{table} ON {table} ({column})")
                cur.execute(f"CLUSTER {table} USING bench_tmp_{table}")
                cur.execute(f"DROP INDEX bench_tmp_{table}")
                print(f"clustered {table} by {column} in {time.perf_counter() - t:.0f}s", flush=True)
        cur.execute("VACUUM ANALYZE") if connection.get_autocommit() else cur.execute("ANALYZE")
    print(f"orders in database: {WorkOrder.objects.count()}")
    # The rows above bypass the services, so the beat task cannot see them: (re)build
    # the dashboard's daily roll-up over the whole range, as after a deploy.
    t = time.perf_counter()
    call_command("rollup_rebuild")
    print(f"roll-up rebuilt in {time.perf_counter() - t:.1f}s", flush=True)


if __name__ == "__main__":
    main()
