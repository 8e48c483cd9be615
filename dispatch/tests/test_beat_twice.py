"""A second beat does no harm: every periodic task in CELERY_BEAT_SCHEDULE, run twice
at the same moment on PostgreSQL (two threads, two connections, as two beats' messages
picked up by two workers would), leaves the same result as running it once. A periodic
task added without a check here fails the guard test."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from api.models import IdempotencyKey
from dispatch.models import DispatchQueueEntry, Notification, SystemAlert
from workorders import outbox
from workorders.models import Event, FollowUp, WorkOrder
from workorders.services import work_order_assign


def _scenario(district, log_call, monkeypatch) -> dict:
    """Work for every periodic task: due deadlines, orders held unrouted for long,
    follow-ups whose nudge was lost, expired idempotency keys."""
    t0 = timezone.now() - timedelta(minutes=100)
    due = [
        work_order_assign(order=log_call(now=t0), actor=district.user("dispatcher"), unit=district.street_a, now=t0)
        for _ in range(5)
    ]
    held = [log_call(now=t0, auto_dispatch=False) for _ in range(3)]
    monkeypatch.setattr(outbox, "follow_ups_nudge", lambda *, tasks: None)  # their messages are lost
    lost = [log_call(auto_dispatch=True) for _ in range(3)]
    monkeypatch.undo()
    FollowUp.objects.update(available_at=timezone.now() - timedelta(minutes=1))
    old = timezone.now() - timedelta(hours=25)
    for i in range(2):
        IdempotencyKey.objects.create(
            owner="user:1", key=f"old-{i}", method="POST", path="/", fingerprint="x", created_at=old
        )
    from web.models import ExportState, LedgerExport

    owner = district.user("supervisor")
    stuck = LedgerExport.objects.create(  # its worker died mid-file
        owner=owner, state=ExportState.RUNNING, attempts=1, started_at=timezone.now() - timedelta(hours=1)
    )
    LedgerExport.objects.create(owner=owner, state=ExportState.READY, created_at=timezone.now() - timedelta(days=2))
    return {"due": due, "held": held, "lost": lost, "stuck_export": stuck}


def _rollup_rows() -> dict:
    from dashboards import models as m

    return {
        # Sorted by repr: rows may hold None where another holds a number (a roll-up row
        # per unit and one for the whole district), which tuples cannot compare.
        model.__name__: sorted(
            (tuple(v for k, v in row.items() if k != "id") for row in model.objects.values()), key=repr
        )
        for model in (m.DailyOrders, m.DailyCategory, m.DailyDeadlines, m.DailyCallbacks, m.WeeklyPairs)
    }


def _check_scan(s):
    marks = Counter(
        (e.payload["deadline"], e.kind) for e in Event.objects.filter(kind__in=("deadline_warn", "deadline_urge"))
    )
    assert marks and set(marks.values()) == {1}, "a deadline was warned or breached twice"


def _check_sweep(s):
    entries = Counter(DispatchQueueEntry.objects.values_list("order_id", flat=True))
    assert entries == dict.fromkeys((o.pk for o in s["held"]), 1), "a held order was queued twice or not at all"
    assert not Notification.objects.filter(attempts__gt=1).exists(), "a notification was sent twice"


def _check_follow_ups(s):
    ids = [o.pk for o in s["lost"]]
    assigns = Counter(Event.objects.filter(order_id__in=ids, kind="assign").values_list("order_id", flat=True))
    assert assigns == dict.fromkeys(ids, 1), "an order was routed twice or not at all"
    assert not FollowUp.objects.exclude(state="done").exists()
    keys = Counter(Notification.objects.filter(event__order_id__in=ids).values_list("dedupe_key", flat=True))
    assert keys and set(keys.values()) == {1}


def _check_calendar(s):
    keys = Counter(SystemAlert.objects.filter(key__startswith="calendar-missing-").values_list("key", flat=True))
    assert set(keys.values()) <= {1}  # one alert per year, counted, never two rows


def _check_purge(s):
    assert not IdempotencyKey.objects.filter(key__startswith="old-").exists()


def _check_rollup(s):
    from dashboards.rollup import rollup_rebuild

    twice = _rollup_rows()
    rollup_rebuild()
    assert twice == _rollup_rows(), "two concurrent roll-ups differ from a rebuild"


def _check_retention(s):
    marks = Counter(Event.objects.filter(kind="anonymise").values_list("order_id", flat=True))
    assert set(marks.values()) <= {1}, "an order was anonymised twice"
    # The same task anonymises key residents off the roll; the scenario has none, so
    # care/tests/test_retention.py runs that part twice at once over expired records.
    from care.models import Access, ResidentAccess

    rows = Counter(ResidentAccess.objects.filter(action=Access.ANONYMISE).values_list("resident_id", flat=True))
    assert set(rows.values()) <= {1}, "a key resident was anonymised twice"


def _check_training(s):
    from triage.models import ModelVersion

    active = Counter(ModelVersion.objects.filter(is_active=True).values_list("kind", flat=True))
    assert set(active.values()) <= {1}, "two active model versions of one kind"


def _check_open_data(s):
    from open311.models import OpenDataExport

    days = Counter(OpenDataExport.objects.values_list("day", flat=True))
    assert days and set(days.values()) == {1}, "a day's open-data snapshot made twice or not at all"


def _check_revisits(s):
    # The scenario has no closed orders; community/tests/test_revisits.py runs the scan
    # twice at once over sampled closures. Here: it ran, and made no row twice.
    from community.models import Revisit

    rows = Counter(Revisit.objects.values_list("order_id", "closed_at"))
    assert set(rows.values()) <= {1}, "a closure revisited twice"


def _check_signals(s):
    from proactive.detection import signals_detect
    from proactive.models import Signal

    def rows():
        return sorted(
            (x.key, x.count, tuple(sorted(x.orders.values_list("pk", flat=True)))) for x in Signal.objects.all()
        )

    twice = rows()
    assert any(key.startswith("c:") for key, *_ in twice), "the scenario's same-text calls make a cluster"
    signals_detect(week=timezone.localdate())
    assert twice == rows(), "two concurrent detection runs differ from one run"


def _check_ledger_exports(s):
    from web.models import ExportState, LedgerExport

    # The old file gone; the stuck export put back once, not failed by a second sweep
    # counting it again, and (the nudge runs the drain in tests) written once.
    [(pk, state, attempts)] = LedgerExport.objects.values_list("pk", "state", "attempts")
    assert pk == s["stuck_export"].pk
    assert (state, attempts) in {(ExportState.PENDING, 1), (ExportState.READY, 2)}, (state, attempts)


CHECKS = {
    "web.ledger_exports_sweep": _check_ledger_exports,
    "community.revisit_scan": _check_revisits,  # issue 16
    "dispatch.retention": _check_retention,
    "triage.train_models": _check_training,
    "open311.open_data_publish": _check_open_data,
    "dispatch.scan_deadlines": _check_scan,
    "dispatch.sweep": _check_sweep,
    "dispatch.sweep_follow_ups": _check_follow_ups,
    "dispatch.check_calendar": _check_calendar,
    "api.purge_idempotency_keys": _check_purge,
    "dashboards.rollup_refresh": _check_rollup,
    "proactive.detect_signals": _check_signals,
}


def test_every_periodic_task_has_a_run_twice_check():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(CHECKS), f"add a run-twice check for {sorted(scheduled - set(CHECKS))}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", sorted({entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}))
def test_a_periodic_task_run_by_two_beats_at_once_does_its_work_once(name, district, log_call, monkeypatch):
    from hotline.celery import app

    app.loader.import_default_modules()  # every app's tasks.py, as a worker loads them
    state = _scenario(district, log_call, monkeypatch)
    task = app.tasks[name]
    barrier, results = threading.Barrier(2), []

    def run():
        try:
            barrier.wait(10)
            results.append(task.apply())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2 and all(r.successful() for r in results), [r.traceback for r in results]
    CHECKS[name](state)
    assert WorkOrder.objects.count() == 11  # no task created or lost an order
