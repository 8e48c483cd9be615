"""Accept → assigned latency with a real worker, at a steady rate of new orders.

    .venv/bin/python bench/dispatch_latency.py [--rate 20] [--seconds 120] [--concurrency 2]

Database hotline_bench_latency, broker redis://127.0.0.1:6379/13 (DATABASE_URL /
CELERY_BROKER_URL override; never the test database). The bench process logs hotline
calls through work_order_log_call at --rate per second (each queues dispatch.route_order
after commit, exactly as the operator's form does); one worker (prefork, --concurrency
processes) routes them. Latency per order = the assign event's time − the log_call
event's time. Writes bench/results/dispatch_latency.json.
"""

from __future__ import annotations

import argparse
import os
import signal
import time

from dispatch_common import district, machine, setup, start_worker, write_result


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    setup("hotline_bench_latency")
    import redis
    from django.conf import settings
    from django.db import connection

    from workorders.models import Event
    from workorders.services import work_order_log_call

    d = district()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE workorders_deadline, workorders_event, dispatch_notification CASCADE")
        cursor.execute("DELETE FROM dispatch_dispatchqueueentry")
        cursor.execute("DELETE FROM workorders_workorder")
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    worker, tmp = start_worker(
        "latency",
        [
            "--pool=prefork",
            f"--concurrency={args.concurrency}",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
    )
    operator = d.user("operator")
    total = int(args.rate * args.seconds)
    ids = []
    try:
        time.sleep(8)  # worker start-up is not part of the measurement
        t0 = time.perf_counter()
        for i in range(total):
            wait = t0 + i / args.rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            order = work_order_log_call(
                actor=operator,
                caller_phone="13812345678",
                title="路口有人占道摆摊",
                description="基准测试",
                address="幸福里小区东门",
                lat=39.905,
                lng=116.305,
                category=d.cat_territorial,
            )
            ids.append(order.pk)
        produced_s = time.perf_counter() - t0
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline:
            if Event.objects.filter(order_id__in=ids, kind="assign").count() == len(ids):
                break
            time.sleep(0.5)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    created = dict(Event.objects.filter(order_id__in=ids, kind="log_call").values_list("order_id", "created_at"))
    assigned = dict(Event.objects.filter(order_id__in=ids, kind="assign").values_list("order_id", "created_at"))
    lat = [(assigned[i] - created[i]).total_seconds() * 1000 for i in ids if i in assigned]
    from dispatch.models import Notification

    sms = Notification.objects.filter(order_id__in=ids, event__kind="assign", sent_at__isnull=False)
    notify_lag = [(sent - assigned[o]).total_seconds() * 1000 for o, sent in sms.values_list("order_id", "sent_at")]
    figures = {
        "machine": machine(),
        "orders": total,
        "target_rate_per_s": args.rate,
        "achieved_rate_per_s": round(total / produced_s, 2),
        "worker_concurrency": args.concurrency,
        "assigned": len(lat),
        "p50_ms": round(pct(lat, 50), 1),
        "p95_ms": round(pct(lat, 95), 1),
        "p99_ms": round(pct(lat, 99), 1),
        "max_ms": round(max(lat), 1),
        # assign → new-order SMS sent (follow-ups run after routing when the worker is busy)
        "sms_sent": len(notify_lag),
        "sms_after_assign_p50_ms": round(pct(notify_lag, 50), 1) if notify_lag else None,
        "sms_after_assign_p95_ms": round(pct(notify_lag, 95), 1) if notify_lag else None,
    }
    print(
        f"{total} orders at {figures['achieved_rate_per_s']}/s: {len(lat)} assigned; accept→assigned "
        f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms, "
        f"max {figures['max_ms']} ms; new-order SMS sent for {figures['sms_sent']}, "
        f"p95 {figures['sms_after_assign_p95_ms']} ms after the assignment"
    )
    write_result("dispatch_latency", figures)


if __name__ == "__main__":
    main()
