"""Reliability with real processes: Celery worker(s) and beat as subprocesses on Redis
and the test's PostgreSQL database. No eager tasks and no test-side shortcuts: the test
only acts through services and watches the database and the notification file."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from dispatch.models import Notification
from workorders.choices import Stage, Status
from workorders.models import Deadline, Event, FollowUp, WorkOrder
from workorders.services import work_order_assign

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCANNER_KINDS = ("deadline_warn", "deadline_urge")


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Processes:
    """Starts worker/beat subprocesses in their own process groups; kills them all."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.notify_file = tmp_path / "notifications.jsonl"
        self.procs: dict[str, subprocess.Popen] = {}
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hotline.settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "HOTLINE_NOTIFY_BACKEND": "dispatch.backends.FileBackend",
            "HOTLINE_NOTIFY_FILE": str(self.notify_file),
            "HOTLINE_SCAN_INTERVAL": "1",
            "HOTLINE_SWEEP_INTERVAL": "2",
            "HOTLINE_NOTIFY_GRACE": "2",
            "HOTLINE_NOTIFY_LEASE": "5",
            "HOTLINE_SCAN_BATCH": "10",
            "HOTLINE_VAR_DIR": str(tmp_path),
        }

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.tmp / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            # As deployed (deploy/systemd): Celery's command through hotline.celery_main.
            [sys.executable, "-m", "hotline.celery_main", "-A", "hotline.celery", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 reaches every child
        )
        self.procs[name] = proc
        return proc

    def worker(self, name: str = "w1") -> subprocess.Popen:
        return self.start(
            name,
            "worker",
            "--pool=solo",
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        )

    def beat(self) -> subprocess.Popen:
        return self.start("beat", "beat", "-s", str(self.tmp / "beat-schedule"), "--pidfile=", "-l", "info")

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def kill_all(self) -> None:
        for name in list(self.procs):
            self.kill(name)

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def sent_keys(self) -> Counter:
        if not self.notify_file.exists():
            return Counter()
        return Counter(json.loads(line)["key"] for line in self.notify_file.read_text().splitlines() if line)


@pytest.fixture
def broker():
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()  # this suite's broker database only; other Redis users are untouched
    return client


@pytest.fixture
def processes(tmp_path, broker, transactional_db):
    from hotline.celery import app

    app.conf.task_always_eager = False  # messages go to the real broker from here on
    procs = Processes(tmp_path)
    try:
        # and this process's commits run no drain: the workers' relay wakes them.
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
            yield procs
    finally:
        procs.kill_all()  # before the test database is flushed: no worker outlives a test
        app.conf.task_always_eager = True
        broker.flushdb()


def _due_orders(district, log_call, n: int) -> list[int]:
    """n assigned orders whose sign limit (30m) has passed and contact limit (2h) warns."""
    t0 = timezone.now() - timedelta(minutes=100)
    ids = []
    for _ in range(n):
        order = log_call(now=t0)
        ids.append(work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a, now=t0).pk)
    return ids


def _scanner_state():
    breached = Deadline.objects.filter(stage=Stage.SIGN, breached_at__isnull=False).count()
    warned = Deadline.objects.filter(stage=Stage.CONTACT, warned_at__isnull=False).count()
    return breached, warned


def _assert_exactly_once(procs: Processes, n: int) -> None:
    events = Counter(
        (e.payload["deadline"], e.kind) for e in Event.objects.filter(kind__in=SCANNER_KINDS).only("payload", "kind")
    )
    assert len(events) == 2 * n, f"{len(events)} scanner events for {n} orders"
    assert set(events.values()) == {1}, "a deadline was warned or breached twice"
    rows = Notification.objects.filter(event__kind__in=SCANNER_KINDS)
    keys = set(rows.values_list("dedupe_key", flat=True))
    assert len(keys) == 3 * n  # warning → handler; breach → handler + street supervisor
    sent = procs.sent_keys()
    assert {k: sent[k] for k in keys} == dict.fromkeys(keys, 1), "a notification was lost or sent twice"
    assert set(rows.values_list("state", flat=True)) == {"sent"}


def test_worker_assigns_an_order_accepted_through_the_service(district, log_call, processes):
    processes.worker()
    order = log_call(auto_dispatch=True)  # the router task goes to Redis after commit
    assigned = wait_for(
        lambda: WorkOrder.objects.filter(pk=order.pk, status=Status.ASSIGNED).first(), 60, "the worker to assign"
    )
    assert assigned.current_unit == district.street_a
    event = assigned.events.get(kind="assign")
    assert event.actor is None and event.payload["routing"]["reasons"]
    key = f"ev{event.pk}:u{district.user('handler_a').pk}:sms"
    wait_for(lambda: processes.sent_keys()[key] == 1, 30, "the new-order SMS")


def test_killed_worker_and_flushed_broker_lose_no_timer_and_repeat_nothing(district, log_call, processes, broker):
    n = 60
    _due_orders(district, log_call, n)
    processes.beat()
    processes.worker()
    # Kill -9 as soon as the scan has committed part of its work, not all of it.
    at_kill = wait_for(lambda: (s := _scanner_state()) != (0, 0) and s, 60, "the scan to start", interval=0.005)
    processes.kill("w1")
    assert at_kill[0] < n or at_kill[1] < n, f"the scan finished before the kill ({at_kill})"
    broker.flushdb()  # every queued message (scans, sends) is gone
    processes.worker("w2")
    wait_for(lambda: _scanner_state() == (n, n), 120, "every deadline to be handled")
    wait_for(
        lambda: not Notification.objects.filter(event__kind__in=SCANNER_KINDS).exclude(state="sent").exists(),
        120,
        "every notification to be sent",
    )
    _assert_exactly_once(processes, n)


def test_two_workers_scanning_at_once_never_handle_a_deadline_twice(district, log_call, processes):
    from hotline.celery import app

    n = 100
    _due_orders(district, log_call, n)
    processes.worker("w1")
    processes.worker("w2")
    wait_for(lambda: "ready" in processes.log("w1") and "ready" in processes.log("w2"), 60, "both workers")
    # The assignments' follow-ups first: a relay wakes their drain as its worker starts,
    # and a drain of 100 rows would hold that worker while the other takes every scan.
    wait_for(lambda: not FollowUp.objects.exclude(state="done").exists(), 60, "the assignments' follow-ups")
    for _ in range(6):  # several scans in flight at once, picked up by both workers
        app.send_task("dispatch.scan_deadlines")
    wait_for(lambda: _scanner_state() == (n, n), 120, "every deadline to be handled")
    processes.beat()  # its sweeper sends anything a send task missed
    wait_for(
        lambda: not Notification.objects.filter(event__kind__in=SCANNER_KINDS).exclude(state="sent").exists(),
        120,
        "every notification to be sent",
    )
    _assert_exactly_once(processes, n)
    scans = [processes.log(w).count("Deadline scan:") for w in ("w1", "w2")]
    assert all(scans), f"both workers should have scanned: {scans}"
