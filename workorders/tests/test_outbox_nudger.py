"""Nudges leave the request path (issue 14): the committing thread only hands the task
names to a background thread, which sends one message per task per window, after the
commits it covers."""

import os
import threading
import time

import pytest
from django.test.utils import override_settings

from hotline.celery import app
from workorders import outbox
from workorders.models import FollowUp


@pytest.fixture
def not_eager():
    """Tasks go to the broker, as in the running app (the suite runs them eagerly)."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def published(monkeypatch, not_eager):
    """Every nudge published: (monotonic time, thread name, tasks)."""
    sent: list[tuple[float, str, list[str]]] = []
    monkeypatch.setattr(
        outbox,
        "follow_ups_nudge",
        lambda *, tasks: sent.append((time.monotonic(), threading.current_thread().name, list(tasks))),
    )
    yield sent
    assert outbox._nudger.wait_idle()


# What one hotline intake with a caller's phone records: routing and the resident's receipt.
INTAKE_TASKS = ["dispatch.on_event", "dispatch.route_order"]


def commit_intakes(log_call, capture, n: int) -> list[float]:
    """Log n calls, each in its own commit (its on-commit callbacks run); their commit times."""
    times = []
    for _ in range(n):
        with capture(execute=True):
            log_call(auto_dispatch=True)
        times.append(time.monotonic())
    return times


@override_settings(HOTLINE_OUTBOX_NUDGE_WINDOW_MS=200)
def test_a_burst_of_intakes_shares_a_few_nudges_sent_after_the_last_commit(
    log_call, published, django_capture_on_commit_callbacks
):
    commits = commit_intakes(log_call, django_capture_on_commit_callbacks, 20)
    assert outbox._nudger.wait_idle()
    assert FollowUp.objects.filter(task="dispatch.route_order", state="pending").count() == 20
    # Nothing was published by the committing thread, every message by the nudger …
    assert {name for _, name, _ in published} == {"hotline-outbox-nudger"}
    # Each intake writes two follow-ups: routing, and the resident's receipt (dispatch.on_event).
    assert all(tasks == INTAKE_TASKS for _, _, tasks in published)
    # … fewer messages than commits (a commit takes well under the 200 ms window) …
    assert 1 <= len(published) < 20
    # … and the last one after the last commit, so a drain it starts sees every row.
    assert published[-1][0] >= commits[-1]


@override_settings(HOTLINE_OUTBOX_NUDGE_WINDOW_MS=0)
def test_a_zero_window_publishes_in_the_committing_thread(log_call, published, django_capture_on_commit_callbacks):
    commit_intakes(log_call, django_capture_on_commit_callbacks, 3)
    assert [(name, tasks) for _, name, tasks in published] == [(threading.current_thread().name, INTAKE_TASKS)] * 3


@override_settings(HOTLINE_OUTBOX_NUDGE_WINDOW_MS=10)
def test_a_broker_that_fails_leaves_the_rows_and_the_nudger_alive(
    log_call, monkeypatch, not_eager, django_capture_on_commit_callbacks
):
    calls = []

    def refuse(name, **kwargs):
        calls.append(name)
        raise ConnectionError("broker down")

    monkeypatch.setattr(app, "signature", lambda name: type("S", (), {"apply_async": lambda self, **k: refuse(name)})())
    commit_intakes(log_call, django_capture_on_commit_callbacks, 1)
    assert outbox._nudger.wait_idle()
    commit_intakes(log_call, django_capture_on_commit_callbacks, 1)
    assert outbox._nudger.wait_idle()
    assert calls == INTAKE_TASKS * 2  # the thread survived the first failure
    assert FollowUp.objects.filter(state="pending").count() == 4  # the sweeper's to nudge again


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@override_settings(HOTLINE_OUTBOX_NUDGE_WINDOW_MS=10)
def test_a_forked_worker_process_gets_a_nudger_of_its_own(published):
    outbox._nudger.add(["parent.task"])
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread does not exist here
        try:
            outbox._nudger.add(["child.task"])
            ok = outbox._nudger.wait_idle(timeout=5) and any(t == ["child.task"] for _, _, t in published)
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    assert answer == b"1"
    assert outbox._nudger.wait_idle()
    assert ["parent.task"] in [t for _, _, t in published]
