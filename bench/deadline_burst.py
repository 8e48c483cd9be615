"""10,000 deadlines due in the same second, handled by one real Celery worker.

    .venv/bin/python bench/deadline_burst.py [--due 10000]

Database hotline_bench_burst, broker redis://127.0.0.1:6379/13 (both overridable by
DATABASE_URL / CELERY_BROKER_URL; never the test database). Writes the orders with COPY,
starts one worker (solo pool, the file notification backend), sends the one scan
message beat would send, and times until every deadline is breached + urged (event and
notification rows written) and until every notification is sent.
Writes bench/results/deadline_burst.json.
"""

from __future__ import annotations

import argparse
import os
import signal
import time

from dispatch_common import add_open_orders, district, machine, setup, start_worker, write_result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()
    setup("hotline_bench_burst")
    import redis
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from dispatch.models import Notification
    from hotline.celery import app
    from workorders.models import Deadline, Event

    d = district()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE workorders_deadline, workorders_event, dispatch_notification CASCADE")
        cursor.execute("DELETE FROM workorders_workorder")
    now = timezone.now().replace(microsecond=0)
    add_open_orders(n=args.due, due=args.due, d=d, now=now, prefix="B")
    due_seconds = Deadline.objects.filter(state="open").values("due_at").distinct().count()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    worker, tmp = start_worker(
        "burst",
        [
            "--pool=solo",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
    )
    try:
        time.sleep(6)  # let the worker start; the clock starts when the scan message is sent
        t0 = time.perf_counter()
        app.send_task("dispatch.scan_deadlines")
        handled_s = sent_s = None
        while time.perf_counter() - t0 < 600:
            if handled_s is None and not Deadline.objects.filter(state="open", breached_at__isnull=True).exists():
                handled_s = time.perf_counter() - t0
            if handled_s is not None and not Notification.objects.exclude(state="sent").exists():
                sent_s = time.perf_counter() - t0
                break
            time.sleep(0.1)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    figures = {
        "machine": machine(),
        "deadlines_due": args.due,
        "distinct_due_seconds": due_seconds,
        "handled_s": round(handled_s, 2) if handled_s else None,
        "all_notifications_sent_s": round(sent_s, 2) if sent_s else None,
        "urge_events": Event.objects.filter(kind="deadline_urge").count(),
        "notifications": Notification.objects.count(),
        "notifications_sent": Notification.objects.filter(state="sent").count(),
    }
    print(
        f"{args.due:,} deadlines due in {due_seconds} second(s): all breached+urged in {figures['handled_s']} s, "
        f"all {figures['notifications']:,} notifications sent in {figures['all_notifications_sent_s']} s (one worker)"
    )
    write_result("deadline_burst", figures)


if __name__ == "__main__":
    main()
