#!/usr/bin/env python
"""`make run`: migrate, seed the working-day calendar and, with --demo, the demo
district (published logins) if the database is empty, then run the web server, a Celery
worker and Celery beat together until Ctrl-C or SIGINT/SIGTERM.

A development runner (DEBUG=1 unless set): production runs gunicorn, a worker and beat
under systemd (deploy/). Uses whatever DATABASE_URL / CELERY_BROKER_URL say; by default
SQLite and Celery's filesystem broker under var/, so a bare machine needs nothing else.
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
    parser.add_argument("--demo", action="store_true", help="build the demo district with its published logins")
    parser.add_argument("--orders", default=os.environ.get("DEMO_ORDERS", "600"), help="demo orders on first run")
    args = parser.parse_args()
    os.environ.setdefault("DEBUG", "1")
    if args.host in {"0.0.0.0", "::"} and "ALLOWED_HOSTS" not in os.environ:  # noqa: S104
        # Listening on every interface is asking to be reached by any name or address.
        os.environ["ALLOWED_HOSTS"] = "*"
        print("HOST is every interface: ALLOWED_HOSTS=* for this run (set ALLOWED_HOSTS to narrow it).", flush=True)

    (ROOT / "var").mkdir(exist_ok=True)
    manage("migrate", "--noinput", "-v", "0")
    manage("seed_calendar")
    if not args.demo:
        print("No --demo: no demo district or accounts; see README › Deploy for first set-up.", flush=True)
    elif database_is_empty():
        print(f"Empty database: building the demo district ({args.orders} orders; a minute or more) …", flush=True)
        manage("seed_demo", "--orders", args.orders)
    else:
        manage("seed_demo", "--orders", "0")  # completes units/users, prints the logins

    # The `celery` command without its AMQP shell's libraries (hotline/celery_main.py).
    celery = [sys.executable, "-m", "hotline.celery_main"]
    procs = {
        "web": [sys.executable, "manage.py", "runserver", f"{args.host}:{args.port}", "--noreload"],
        # No -Q: one worker consumes every queue in CELERY_TASK_QUEUES (routing,
        # notifications, scans, training, default); README shows per-queue workers.
        "worker": [*celery, "-A", "hotline", "worker", "-l", "info", "--concurrency", "2"],
        "beat": [*celery, "-A", "hotline", "beat", "-l", "info", "-s", str(ROOT / "var" / "celerybeat-schedule")],
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

    def on_signal(signum, _frame):
        stop()
        sys.exit(0)

    # Installed explicitly: a shell starts a background job (`make run &`) with SIGINT
    # ignored, and Python would then never raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
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
