"""Health endpoints for probes and load balancers.

``/healthz``: the process answers (no database: a slow database must not make the
orchestrator kill healthy web processes). ``/readyz``: this instance can do its work —
the database answers, and beat with a worker is alive: the last deadline scan and the
last dashboard roll-up finished recently (each records a Heartbeat row when it succeeds,
hotline/celery.py), and no follow-up has waited long past its time (``follow_ups``: the
workers are woken by the outbox relay and drain it). 200 when all pass, 503 naming the
failing checks otherwise; both are plain JSON without personal data.

The web process itself sends no broker message (hotline/outbox_relay.py), so it does
not check the broker: a broker that is down shows as the scan's heartbeat going stale
(beat cannot reach the worker) and the follow-ups' age growing, which is what it costs.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

# Celery task name -> heartbeat name; the scan and roll-up are what beat must keep running.
HEARTBEAT_TASKS = {"dispatch.scan_deadlines": "deadline_scan", "dashboards.rollup_refresh": "rollup"}


def heartbeat_record(*, name: str, seconds: float | None = None, now: datetime | None = None) -> None:
    """Note that the periodic job ``name`` just finished (one row per job)."""
    from hotline.models import Heartbeat

    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": now or timezone.now(), "seconds": seconds})


def heartbeat_ages(*, now: datetime | None = None) -> dict[str, float | None]:
    """Seconds since each heartbeat job last finished (None: never)."""
    from hotline.models import Heartbeat

    now = now or timezone.now()
    seen = dict(Heartbeat.objects.values_list("name", "beat_at"))
    return {name: (now - seen[name]).total_seconds() if name in seen else None for name in HEARTBEAT_TASKS.values()}


def max_ages() -> dict[str, float]:
    """How stale a heartbeat may be: a few intervals, so one slow or skipped run is not
    an outage, but a stopped beat shows within minutes."""
    return {
        "deadline_scan": max(60.0, 4.0 * settings.HOTLINE_SCAN_INTERVAL),
        "rollup": max(300.0, 4.0 * settings.HOTLINE_ROLLUP_INTERVAL),
    }


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


def follow_ups_max_age() -> float:
    """How long a due follow-up may wait unclaimed: the relay starts it within a second,
    beat's sweep after GRACE + one interval; a few of those before it counts as down."""
    return max(60.0, 4.0 * (settings.HOTLINE_OUTBOX_SWEEP_INTERVAL + settings.HOTLINE_OUTBOX_GRACE))


def follow_ups_age(*, now: datetime | None = None) -> float:
    """Seconds the oldest due follow-up has waited (0: none waits). Reads the pending
    rows' partial index only."""
    from workorders.models import FollowUp

    now = now or timezone.now()
    oldest = FollowUp.objects.filter(state=FollowUp.State.PENDING, available_at__lte=now).aggregate(
        oldest=Min("available_at")
    )["oldest"]
    return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())


def readiness(*, now: datetime | None = None) -> tuple[bool, dict]:
    checks: dict[str, dict] = {}
    t0 = time.perf_counter()
    error = _check_database()
    checks["database"] = {"ok": error is None, "ms": round(1000 * (time.perf_counter() - t0), 1)}
    if error:
        checks["database"]["error"] = error
    else:
        limits = max_ages()
        for name, age in heartbeat_ages(now=now).items():
            ok = age is not None and age <= limits[name]
            checks[name] = {"ok": ok, "age_seconds": None if age is None else round(age, 1), "max": limits[name]}
        waited, limit = follow_ups_age(now=now), follow_ups_max_age()
        checks["follow_ups"] = {"ok": waited <= limit, "age_seconds": round(waited, 1), "max": limit}
    ok = all(c["ok"] for c in checks.values()) and len(checks) == 2 + len(HEARTBEAT_TASKS)
    return ok, checks


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    ok, checks = readiness()
    return JsonResponse({"ok": ok, "checks": checks}, status=200 if ok else 503)


def heartbeat_from_task(task_name: str, seconds: float | None) -> None:
    name = HEARTBEAT_TASKS.get(task_name)
    if name:
        heartbeat_record(name=name, seconds=seconds)


_started: dict[str, float] = {}


def task_started(task_id: str) -> None:
    _started[task_id] = time.monotonic()


def task_seconds(task_id: str) -> float | None:
    t0 = _started.pop(task_id, None)
    return None if t0 is None else round(time.monotonic() - t0, 3)
