#!/usr/bin/env python
"""`make run`: migrate, seed the demo district if the database is empty, then run the
web server, a Celery worker and Celery beat together until Ctrl-C.

Uses whatever DATABASE_URL / CELERY_BROKER_URL say; by default SQLite and Celery's
filesystem broker under var/, so a bare machine needs nothing else.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def database_is_empty() -> bool:
    code = (
        "import django; django.setup();"
        "from workorders.models import WorkOrder; import sys; sys.exit(0 if WorkOrder.objects.exists() else 1)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env).returncode != 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--orders", default="3000", help="demo orders to simulate on first run")
    args = parser.parse_args()

    (ROOT / "var").mkdir(exist_ok=True)
    manage("migrate", "--noinput", "-v", "0")
    if database_is_empty():
        print("Empty database: building the demo district (takes a few minutes the first time) …", flush=True)
        manage("seed_demo", "--orders", args.orders)
    else:
        manage("seed_demo", "--orders", "0")  # refreshes units/users, prints the logins

    celery = str(BIN / "celery")
    procs = {
        "web": [sys.executable, "manage.py", "runserver", f"{args.host}:{args.port}", "--noreload"],
        # No -Q: one worker consumes every queue in CELERY_TASK_QUEUES (routing,
        # notifications, scans, training, default); README shows per-queue workers.
        "worker": [celery, "-A", "hotline", "worker", "-l", "info", "--concurrency", "2"],
        "beat": [celery, "-A", "hotline", "beat", "-l", "info", "-s", str(ROOT / "var" / "celerybeat-schedule")],
    }
    running = {name: subprocess.Popen(cmd, cwd=ROOT) for name, cmd in procs.items()}
    print(
        f"\nHotline is running at http://{args.host}:{args.port}/  (admin: /admin/)  — Ctrl-C stops it.\n", flush=True
    )

    def stop(*_):
        for proc in running.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for proc in running.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    try:
        while True:
            for name, proc in running.items():
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; stopping the others.", file=sys.stderr)
                    stop()
                    return proc.returncode or 1
            time.sleep(1)
    except KeyboardInterrupt:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
