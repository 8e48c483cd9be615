"""Shared set-up for the dispatch benchmarks (deadline_scan, deadline_burst,
dispatch_latency): a PostgreSQL database of their own, the test district, and open
orders with deadlines written with COPY."""

from __future__ import annotations

import io
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(default_db: str) -> None:
    """Point Django at the benchmark database (never the test database), create and
    migrate it, then django.setup()."""
    os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{default_db}")
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    os.environ.setdefault("DEBUG", "1")  # as before DEBUG became off by default
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    if name.startswith("test_") or name == "hotline":
        raise SystemExit(f"refusing to benchmark in {name!r}: use a database of its own")
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user="postgres", host="127.0.0.1")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def district():
    """The test district (units, categories, one user per role), built once."""
    from grids.models import OrgUnit
    from hotline.testing import District, build_district

    if not OrgUnit.objects.filter(code="C").exists():
        return build_district()
    from django.contrib.auth import get_user_model

    from workorders.models import Category

    units = {u.code: u for u in OrgUnit.objects.all()}
    d = District(
        units["C"],
        units["D-CG"],
        units["S-A"],
        units["S-B"],
        units["S-A-1"],
        units["S-B-1"],
        units["S-A-1-01"],
        units["S-A-1-02"],
        units["S-B-1-01"],
        Category.objects.get(code="0101"),
        Category.objects.get(code="0102"),
    )
    d.users = {u.username: u for u in get_user_model().objects.all()}
    return d


def _copy(table: str, columns: list[str], rows) -> None:
    from django.db import connection

    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buf.seek(0)
    with connection.cursor() as cursor:
        quoted = ", ".join(f'"{c}"' for c in columns)
        cursor.cursor.copy_expert(f"COPY {table} ({quoted}) FROM STDIN", buf)


def add_open_orders(*, n: int, due: int, d, now: datetime, prefix: str, chunk: int = 100_000) -> None:
    """n in-progress orders at street A, each with one open handling deadline and one
    closed (met) sign deadline; the first ``due`` of them already past due, the rest due
    over the next 7 days. COPY, 100k rows at a time."""
    from django.db import connection, transaction

    from workorders.models import Deadline, WorkOrder

    order_cols = [f.column for f in WorkOrder._meta.concrete_fields if f.column != "id"]
    template = {
        "channel": "hotline",
        "request_type": "complaint",
        "caller_name": "",
        "caller_phone": "13800000000",
        "caller_confidential": "f",
        "title": "基准工单",
        "description": "benchmark",
        "address": "",
        "street_id": d.street_a.pk,
        "community_id": d.community_a.pk,
        "grid_id": d.grid_a.pk,
        "category_id": d.cat_territorial.pk,
        "urgency": "normal",
        "status": "in_progress",
        "lead_unit_id": d.street_a.pk,
        "current_unit_id": d.street_a.pk,
        "reply": "",
        "callback_resolution": "",
        "callback_satisfaction": "",
        "callback_attempts": 0,
        "reopen_count": 0,
        "return_count": 0,
        "tracking_code": "BENCH1",
        "version": 3,
    }
    dl_cols = [f.column for f in Deadline._meta.concrete_fields if f.column != "id"]
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        with transaction.atomic():
            rows = []
            for i in range(start, start + size):
                due_at = now - timedelta(minutes=1) if i < due else now + timedelta(minutes=5 + (i * 7) % (7 * 24 * 60))
                values = dict(template, number=f"{prefix}{i:09d}", due_at=due_at, created_at=now - timedelta(days=1))
                values["updated_at"] = values["created_at"]
                rows.append([values.get(c) for c in order_cols])
            _copy(WorkOrder._meta.db_table, order_cols, rows)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id FROM {WorkOrder._meta.db_table} WHERE number >= %s AND number <= %s ORDER BY number",
                    [f"{prefix}{start:09d}", f"{prefix}{start + size - 1:09d}"],
                )
                ids = [r[0] for r in cursor.fetchall()]
            dls = []
            for offset, order_id in enumerate(ids):
                i = start + offset
                opened = now - timedelta(days=1)
                due_at = now - timedelta(minutes=1) if i < due else now + timedelta(minutes=5 + (i * 7) % (7 * 24 * 60))
                warn_at = min(due_at, now + timedelta(minutes=1) + (due_at - now) * 0.75) if i >= due else due_at
                base = {
                    "order_id": order_id,
                    "unit_id": d.street_a.pk,
                    "opened_at": opened,
                    "extended_count": 0,
                }
                dls.append(
                    dict(base, stage="sign", limit="30m", warn_at=opened, due_at=opened, state="met", closed_at=opened)
                )
                dls.append(dict(base, stage="handle", limit="7d", warn_at=warn_at, due_at=due_at, state="open"))
            _copy(Deadline._meta.db_table, dl_cols, ([r.get(c) for c in dl_cols] for r in dls))
        print(f"  {start + size:,} orders", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE workorders_workorder")
        cursor.execute("ANALYZE workorders_deadline")


def machine() -> dict:
    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def write_result(name: str, data: dict) -> None:
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


def start_worker(tag: str, pool_args: list[str]) -> tuple[subprocess.Popen, Path]:
    """A real Celery worker on the bench database, with a file notification backend in a
    fresh temp folder (returned), its log in worker.log there; its own session, so the
    caller can kill the whole process group."""
    tmp = Path(tempfile.mkdtemp(prefix=f"{tag}-"))
    env = {
        **os.environ,
        "HOTLINE_NOTIFY_BACKEND": "dispatch.backends.FileBackend",
        "HOTLINE_NOTIFY_FILE": str(tmp / "sent.jsonl"),
        "HOTLINE_VAR_DIR": str(tmp),
        "LOG_LEVEL": "WARNING",
    }
    log = (tmp / "worker.log").open("wb")
    worker = subprocess.Popen(
        # As deployed: Celery's command without its AMQP shell (hotline/celery_main.py).
        [sys.executable, "-m", "hotline.celery_main", "-A", "hotline.celery", "worker", *pool_args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return worker, tmp
