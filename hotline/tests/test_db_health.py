"""The persistent connection's health check (hotline/db_health.py): skipped on a
connection that served a request moments ago, run after a pause (issue 14)."""

import time

import pytest
from django.db import connections
from django.test.utils import override_settings

from hotline import db_health

connection = connections["default"]  # the wrapper itself (monkeypatch cannot undo a proxy)


@pytest.fixture
def checks(monkeypatch, db):
    """Count the health checks Django runs before a request's first query."""
    connection.ensure_connection()
    monkeypatch.setattr(connection, "health_check_enabled", True)  # as CONN_HEALTH_CHECKS on PostgreSQL
    calls = []
    real = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: calls.append(1) or real())
    return calls


def next_request_runs_a_query() -> None:
    # What Django's close_old_connections does at request_started, then ours, then the
    # request's first query.
    connection.health_check_done = False
    db_health._skip_recent_check()
    with connection.cursor() as cur:
        cur.execute("SELECT 1 + 1")


@override_settings(HOTLINE_DB_HEALTH_CHECK_IDLE=10)
def test_a_connection_used_moments_ago_is_not_checked(checks):
    db_health._mark_used()
    next_request_runs_a_query()
    assert checks == []


@override_settings(HOTLINE_DB_HEALTH_CHECK_IDLE=10)
def test_a_connection_idle_longer_than_the_limit_is_checked(checks):
    db_health._mark_used()
    connection.hotline_used_at = time.monotonic() - 11
    next_request_runs_a_query()
    assert checks == [1]


@override_settings(HOTLINE_DB_HEALTH_CHECK_IDLE=0)
def test_a_zero_limit_checks_every_request(checks):
    db_health._mark_used()
    next_request_runs_a_query()
    assert checks == [1]


def test_the_receivers_run_after_djangos_own():
    # In a fresh interpreter, as a server process has them: Django's test client moves
    # its own receiver around while it serves a request, so this process cannot tell.
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = """
import json, django
django.setup()
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hotline import db_health
out = []
for signal, ours in ((request_started, db_health._skip_recent_check), (request_finished, db_health._mark_used)):
    receivers, _ = signal._live_receivers(None)
    out.append(receivers.index(close_old_connections) < receivers.index(ours))
print(json.dumps(out))
"""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings", "DEBUG": "1", "PYTHONPATH": str(root)}
    run = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout.strip().splitlines()[-1]) == [True, True]
