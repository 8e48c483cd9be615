"""The outbox relay (hotline/outbox_relay.py): the process that commits outbox rows sends
no broker message; a thread in each worker's main process learns of the committed rows
(PostgreSQL: a trigger's NOTIFY, delivered on commit only; SQLite: a short poll) and wakes
their drains. Real workers: dispatch/tests/test_outbox_workers.py."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from hotline import outbox_relay
from hotline.outbox_relay import OutboxRelay
from web import exports
from workorders import outbox
from workorders.models import FollowUp
from workorders.outbox import follow_ups_drain, follow_ups_retry

# What one hotline intake with a caller's phone records: routing and the resident's receipt.
INTAKE_TASKS = ["dispatch.on_event", "dispatch.route_order"]


class Woken:
    """A relay's nudge that records the names it was given, with the time."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, list[str]]] = []
        self.lock = threading.Lock()

    def __call__(self, names: list[str]) -> None:
        with self.lock:
            self.calls.append((time.monotonic(), list(names)))

    def names(self) -> list[str]:
        with self.lock:
            return sorted({n for _, names in self.calls for n in names})

    def wait(self, what, timeout: float = 10.0) -> float:
        """Wait until ``what(self)`` holds; the time it did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if what(self):
                return time.monotonic()
            time.sleep(0.01)
        raise AssertionError(f"the relay was not woken as expected: {self.calls}")


@pytest.fixture
def not_eager(settings):
    """As in the running app: a commit runs no drain in this process (the suite's eager
    mode does), it only leaves rows behind."""
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.fixture
def relays():
    started: list[OutboxRelay] = []

    def start(**kwargs) -> tuple[OutboxRelay, Woken]:
        woken = Woken()
        relay = OutboxRelay(nudge=woken, **kwargs)
        relay.start()
        started.append(relay)
        return relay, woken

    yield start
    for relay in started:
        relay.stop()


def _intake(log_call):
    return log_call(auto_dispatch=True)


def _wait_listening(relay: OutboxRelay) -> None:
    """Until the relay holds the lead and LISTENs, and has looked at what is due."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if relay.listening and relay.polls:
            return
        time.sleep(0.01)
    raise AssertionError("the relay did not start")


@pytest.mark.django_db
def test_the_committing_process_sends_nothing(log_call, not_eager, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(outbox, "follow_ups_nudge", lambda *, tasks: sent.append(tasks))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _intake(log_call)
    assert FollowUp.objects.filter(state="pending").count() == 2
    assert sent == [] and callbacks == []  # no message, not even a callback to send one


@pytest.mark.django_db
def test_a_poll_wakes_each_task_whose_due_rows_changed_once(district, log_call, not_eager, monkeypatch):
    woken = Woken()
    relay = OutboxRelay(nudge=woken, window=0.0)  # no coalescing here: the test below
    assert relay.poll() == []  # nothing pending
    _intake(log_call)
    assert relay.poll() == INTAKE_TASKS
    assert relay.poll() == []  # the same rows: their drains are on the way
    _intake(log_call)
    assert relay.poll() == INTAKE_TASKS  # new rows
    # Still pending SAFETY seconds later (a message lost): woken again.
    monkeypatch.setattr(outbox_relay, "SAFETY", 0.0)
    assert relay.poll() == INTAKE_TASKS
    monkeypatch.setattr(outbox_relay, "SAFETY", 3600.0)
    # Drained: nothing due, nothing sent; a failed try's backoff is not due either.
    follow_ups_drain(task="dispatch.on_event", handler=lambda order_id, event_id: None)
    follow_ups_drain(task="dispatch.route_order", handler=lambda order_id, event_id: None)
    assert relay.poll() == []
    row = FollowUp.objects.first()
    FollowUp.objects.filter(pk=row.pk).update(state="pending", available_at=timezone.now() + timedelta(minutes=5))
    assert relay.poll() == []
    # An old row put back to pending (the admin's retry) is new work although no id is.
    FollowUp.objects.filter(pk=row.pk).update(state="failed")
    assert follow_ups_retry(ids=[row.pk]) == 1
    assert relay.poll() == [row.task]
    # A ledger export asked for is its drain's work.
    exports.ledger_export_request(owner=district.user("supervisor"), query="figure=volume", language="zh-hans")
    assert relay.poll() == [exports.DRAIN_TASK]
    assert [names for _, names in woken.calls] == [INTAKE_TASKS] * 3 + [[row.task], [exports.DRAIN_TASK]]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.django_db
def test_a_task_woken_within_its_window_is_held_and_woken_once_after_only_if_a_row_still_waits(log_call, not_eager):
    """Coalescing: one nudge per task per window; the rows of the window get one more
    nudge when it ends, unless a drain has run them meanwhile."""
    woken, clock = Woken(), Clock()
    relay = OutboxRelay(nudge=woken, window=0.1, clock=clock)
    sent = lambda: [names for _, names in woken.calls]  # noqa: E731

    _intake(log_call)
    relay.wake(INTAKE_TASKS)  # the first commit after a quiet spell: at once
    assert sent() == [INTAKE_TASKS]
    for clock.now in (0.02, 0.05):  # two more commits within the window: held
        _intake(log_call)
        relay.wake(INTAKE_TASKS)
    clock.now = 0.09
    assert relay.release() == [] and sent() == [INTAKE_TASKS]  # the window has not ended
    clock.now = 0.1
    # Nobody has run the window's rows (no worker in this test): one more nudge each.
    assert relay.release() == INTAKE_TASKS
    assert sent() == [INTAKE_TASKS, INTAKE_TASKS]
    assert relay.release() == []  # released once

    # A commit within the new window, whose rows the running drain takes before it ends.
    clock.now = 0.15
    _intake(log_call)
    relay.wake(INTAKE_TASKS)
    for task in INTAKE_TASKS:
        follow_ups_drain(task=task, handler=lambda order_id, event_id: None)
    clock.now = 0.2
    assert relay.release() == [] and len(sent()) == 2  # nothing waits: no empty drain started

    # After the window, the next commit is nudged at once again; one task's window does
    # not hold another's.
    clock.now = 0.35
    _intake(log_call)
    relay.wake(["dispatch.route_order"])
    clock.now = 0.36
    relay.wake(["dispatch.on_event", "dispatch.route_order"])
    assert sent()[2:] == [["dispatch.route_order"], ["dispatch.on_event"]]
    # A relay that starts (or takes the lead) wakes every due task whatever the windows.
    relay.wake(INTAKE_TASKS, at_once=True)
    assert sent()[4:] == [INTAKE_TASKS]


@pytest.mark.django_db
def test_a_tasks_window_grows_while_its_drains_fall_behind_and_shrinks_when_they_catch_up(log_call, not_eager):
    """A row that was due at the last nudge and still waits means that nudge's drain has
    not reached it (queued behind a burst): one more message now would mostly become a
    drain that finds nothing later, so the task's window doubles, up to WINDOW_MAX."""
    woken, clock = Woken(), Clock()
    relay = OutboxRelay(nudge=woken, window=0.1, clock=clock)
    route = ["dispatch.route_order"]
    _intake(log_call)
    relay.wake(route)  # nudged at 0.0; nothing drains in this test
    clock.now = 0.05
    _intake(log_call)
    relay.wake(route)
    clock.now = 0.1
    assert relay.release() == route  # the first row is still there: behind
    assert relay.window("dispatch.route_order") == pytest.approx(0.2)
    assert relay.window("dispatch.on_event") == pytest.approx(0.1)  # its own window
    clock.now = 0.15
    _intake(log_call)
    relay.wake(route)
    clock.now = 0.25
    assert relay.release() == []  # its window is 0.2 now
    clock.now = 0.31
    assert relay.release() == route
    assert relay.window("dispatch.route_order") == pytest.approx(0.4)
    for _ in range(5):  # however long it stays behind: at most WINDOW_MAX
        clock.now += 2
        relay.wake(route)  # the window has ended: at once
        clock.now += 0.01
        relay.wake(route)
        clock.now += 2
        relay.release()
    assert relay.window("dispatch.route_order") == pytest.approx(outbox_relay.WINDOW_MAX)
    sent = len(woken.calls)

    # The drains catch up; a row committed after the last nudge is the normal case.
    follow_ups_drain(task="dispatch.route_order", handler=lambda order_id, event_id: None)
    clock.now += 0.5
    _intake(log_call)
    relay.wake(route)  # within the (1 s) window: held
    clock.now += 0.5
    assert relay.release() == route
    assert relay.window("dispatch.route_order") == pytest.approx(0.1) and len(woken.calls) == sent + 1


@pytest.mark.django_db
def test_the_window_holds_a_polls_nudges_as_well(log_call, not_eager):
    """SQLite's poll (and the listening relay's safety poll) go through the same window."""
    woken, clock = Woken(), Clock()
    relay = OutboxRelay(nudge=woken, window=0.1, clock=clock)
    _intake(log_call)
    assert relay.poll() == INTAKE_TASKS
    clock.now = 0.05
    _intake(log_call)
    assert relay.poll() == INTAKE_TASKS  # new rows, but within the window: held
    assert len(woken.calls) == 1
    clock.now = 0.1
    assert relay.release() == INTAKE_TASKS  # on SQLite any due pending row waits
    assert len(woken.calls) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_a_drain_is_running_does_not_wait_but_one_behind_it_does(log_call, not_eager):
    _intake(log_call)
    claimed, release = threading.Event(), threading.Event()

    def drain() -> None:
        def handler(order_id: int, event_id: int) -> None:
            claimed.set()
            release.wait(10)

        try:
            follow_ups_drain(task="dispatch.route_order", handler=handler)
        finally:
            connection.close()

    thread = threading.Thread(target=drain)
    thread.start()
    try:
        assert claimed.wait(10)
        # The drain holds its row: nothing of routing waits; the receipt's row does.
        assert sorted(outbox_relay.waiting_work(INTAKE_TASKS)) == ["dispatch.on_event"]
        _intake(log_call)  # committed while the drain runs: waits for one
        assert sorted(outbox_relay.waiting_work(INTAKE_TASKS)) == INTAKE_TASKS
    finally:
        release.set()
        thread.join(10)
    # That drain took the second row too before it stopped.
    assert sorted(outbox_relay.waiting_work(INTAKE_TASKS)) == ["dispatch.on_event"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_commits_is_woken_a_few_times_and_the_last_nudge_follows_the_last_commit(
    log_call, not_eager, relays, monkeypatch
):
    monkeypatch.setattr(outbox_relay, "SAFETY", 60.0)
    relay, woken = relays(window=0.2)
    _wait_listening(relay)
    t0 = time.monotonic()
    for _ in range(20):
        _intake(log_call)
        time.sleep(0.02)
    last_commit = time.monotonic()
    # Nothing drains here, so every window's rows still wait at its end: the last nudge
    # of each task comes after the last commit, whatever the window held.
    woken.wait(lambda w: all(any(t > last_commit and task in names for t, names in w.calls) for task in INTAKE_TASKS))
    time.sleep(0.5)
    per_task = {task: sum(task in names for _, names in woken.calls) for task in INTAKE_TASKS}
    windows = (last_commit - t0) / 0.2
    # One at the start and at most one per window after it (not one per commit: 20).
    assert all(n <= windows + 2 for n in per_task.values()), (per_task, windows)
    assert all(n >= 2 for n in per_task.values()), per_task


@pytest.mark.django_db(transaction=True)
def test_rows_committed_while_no_relay_ran_are_woken_when_it_starts(log_call, not_eager, relays):
    _intake(log_call)
    relay, woken = relays()
    woken.wait(lambda w: w.names() == INTAKE_TASKS)


# PostgreSQL: the test suite's SQLite database is in memory with a shared cache, whose
# table locks refuse a writer while another thread reads (a file database in WAL mode,
# as deployed, does not); the SQLite relay's polls are tested above, without a thread.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_committed_intake_wakes_the_relay_at_once_and_a_rolled_back_one_nobody(
    log_call, not_eager, relays, monkeypatch
):
    # Only the commit can wake it here: no safety poll within the test.
    monkeypatch.setattr(outbox_relay, "SAFETY", 60.0)
    relay, woken = relays()
    _wait_listening(relay)
    assert woken.calls == []

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        _intake(log_call)
        assert FollowUp.objects.count() == 2
        raise Rollback
    time.sleep(0.5)  # a NOTIFY would have arrived by now
    assert woken.calls == [] and not FollowUp.objects.exists()
    t0 = time.monotonic()
    with transaction.atomic():
        _intake(log_call)
        time.sleep(0.3)  # not before the commit
        assert woken.calls == []
    woke = woken.wait(lambda w: w.names() == INTAKE_TASKS)
    assert woke - t0 < 1.5  # the NOTIFY, not the 60 s safety net


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_relay_listens_and_another_takes_over_when_it_stops(log_call, not_eager, relays, monkeypatch):
    monkeypatch.setattr(outbox_relay, "SAFETY", 0.3)
    first, woken_first = relays()
    _wait_listening(first)
    second, woken_second = relays()
    time.sleep(1.0)  # a few of its tries to take the lead
    assert not second.listening
    _intake(log_call)
    woken_first.wait(lambda w: w.names() == INTAKE_TASKS)
    time.sleep(0.5)
    assert woken_second.calls == []  # one drain per commit, not one per worker host
    first.stop()
    _wait_listening(second)
    # It takes over with a look at what is due (the rows above, still pending) …
    woken_second.wait(lambda w: w.names() == INTAKE_TASKS)
    # … and listens: a new commit wakes it.
    woken_second.calls.clear()
    _intake(log_call)
    woken_second.wait(lambda w: w.names() == INTAKE_TASKS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_woken_by_two_relays_at_once_run_once(log_call, not_eager):
    """Two relays (or a relay and the sweep) wake the same task: the drains they start
    claim rows with skip_locked, so each row's handler runs once."""
    orders = [_intake(log_call).pk for _ in range(10)]
    ran: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def handler(order_id: int, event_id: int) -> None:
        with lock:
            ran.append(order_id)
        time.sleep(0.01)

    def drain_when_woken(names: list[str]) -> None:
        barrier.wait(10)
        try:
            for name in names:
                if name == "dispatch.route_order":
                    follow_ups_drain(task=name, handler=handler)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=lambda: OutboxRelay(nudge=drain_when_woken).poll(every_due=True)) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(ran) == sorted(orders)
    assert not FollowUp.objects.filter(task="dispatch.route_order", state="pending").exists()


SQLITE_SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from hotline.testing import build_district
print(build_district().cat_territorial.code)
"""

SQLITE_INTAKE = """
import json, sys, time
import django
django.setup()
from workorders.models import WorkOrder
from workorders.services import work_order_log_call
from workorders.models import Category
from django.contrib.auth import get_user_model
operator = get_user_model().objects.get(username="operator")
category = Category.objects.get(code=sys.argv[1])
took = []
for i in range(int(sys.argv[2])):
    t0 = time.monotonic()
    order = work_order_log_call(
        actor=operator, caller_name="张三", caller_phone="13812345678", title="路口有人占道摆摊",
        description="每天傍晚在幸福里小区门口摆摊，影响通行。", address="幸福里小区东门",
        lat=39.905, lng=116.305, category=category, auto_dispatch=True,
    )
    while WorkOrder.objects.get(pk=order.pk).status != "assigned":
        assert time.monotonic() - t0 < 60, "not routed"
        time.sleep(0.01)
    took.append(time.monotonic() - t0)
print(json.dumps(took))
"""


def test_on_the_embedded_defaults_a_real_worker_routes_what_another_process_commits(tmp_path):
    """SQLite file and filesystem broker (make run): the committing process sends nothing,
    the worker's relay polls and wakes the routing drain; no beat runs."""
    import json
    import os
    import subprocess
    import sys

    from hotline.tests.test_import_weight import ROOT

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hotline.settings",
        "DEBUG": "1",
        "PYTHONPATH": str(ROOT),
        "HOTLINE_VAR_DIR": str(tmp_path),
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)  # the embedded defaults, under tmp_path
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 180}
    setup = subprocess.run([sys.executable, "-c", SQLITE_SETUP], **run)
    assert setup.returncode == 0, setup.stderr[-2000:]
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "hotline.celery_main", "-A", "hotline", "worker", "--pool=solo", "-l", "info"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        category = setup.stdout.strip().splitlines()[-1]
        out = subprocess.run([sys.executable, "-c", SQLITE_INTAKE, category, "4"], **run)
        assert out.returncode == 0, out.stderr[-2000:] + (tmp_path / "worker.log").read_text()[-2000:]
        took = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        os.killpg(worker.pid, 9)
        worker.wait()
    # The first waits for the worker to start; the others are woken by the relay's 0.1 s
    # poll (and the filesystem transport's own polling of its folder).
    assert max(took[1:]) < 5.0, took
