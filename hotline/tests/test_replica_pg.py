"""The read replica, for real: a primary made with initdb, a streaming replica cloned from
it with pg_basebackup -R, gunicorn configured with both. Each server logs every statement,
so the tests see which one answered: dashboards and ledgers on the replica, writes and
everything else on the primary, and the primary again when the replica's replay is
paused past the lag limit or the replica is down."""

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.testing_services import Browser, manage, start_gunicorn, start_replicated_pair

pytestmark = pytest.mark.postgres

SEED = """
from api.tokens import api_token_create
from hotline.testing import build_district
d = build_district()
print(api_token_create(user=d.user("operator"))[1])
"""
CALL = {
    "caller_phone": "13812345678",
    "caller_name": "张三",
    "title": "路口有人占道摆摊",
    "description": "每天傍晚在幸福里小区门口摆摊，影响通行。",
    "lat": 39.905,
    "lng": 116.305,
    "category": "0101",
}
MAX_LAG = 2
DASHBOARD_READ = re.compile(r'statement: SELECT .*"workorders_deadline"')


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    pair = start_replicated_pair(log_statements=True)
    pair.primary.sql("CREATE DATABASE hotline")
    env = {
        "DATABASE_URL": pair.primary.url("hotline"),
        "DATABASE_REPLICA_URL": pair.replica.url("hotline"),
        "HOTLINE_REPLICA_MAX_LAG": str(MAX_LAG),
        "HOTLINE_REPLICA_CHECK_SECONDS": "0",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "HOTLINE_VAR_DIR": str(tmp_path_factory.mktemp("var")),
    }
    web = None
    try:
        manage(env, "migrate", "--noinput")
        token = manage(env, "shell", "-c", SEED).strip().splitlines()[-1]
        web = start_gunicorn(env, threads=2)
        yield pair, web, token
    finally:
        if web:
            web.stop()
        pair.stop()


class Day:
    """A different period for every dashboard request: the board is cached per scope."""

    offset = 0

    @classmethod
    def path(cls) -> str:
        cls.offset += 1
        start = timezone.localdate() - timedelta(days=30 + cls.offset)
        return f"/dashboard/?start={start:%Y-%m-%d}"


def answered_by(pair, action):
    """Run ``action`` and return (primary's new log, replica's new log)."""
    before = len(pair.primary.log_text()), len(pair.replica.log_text())
    action()
    time.sleep(0.3)  # the logging is asynchronous to the client
    return pair.primary.log_text()[before[0] :], pair.replica.log_text()[before[1] :]


def supervisor(web) -> Browser:
    browser = Browser(web.base)
    browser.login("supervisor", "pw-supervisor")
    return browser


def log_call(web, token) -> dict:
    import json

    status, body = Browser(web.base).request(
        "POST",
        "/api/v1/orders",
        CALL,
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    assert status == 201, body
    return json.loads(body)


def test_dashboard_reads_come_from_the_replica_and_writes_go_to_the_primary(stack):
    pair, web, token = stack
    browser = supervisor(web)
    primary, replica = answered_by(pair, lambda: log_call(web, token))
    assert 'INSERT INTO "workorders_workorder"' in primary
    assert "INSERT" not in replica and "UPDATE" not in replica
    pair.wait_caught_up()

    def dashboard():
        status, body = browser.request("GET", Day.path())
        assert status == 200

    primary, replica = answered_by(pair, dashboard)
    assert DASHBOARD_READ.search(replica), replica[-2000:]
    assert not DASHBOARD_READ.search(primary)
    assert "pg_current_wal_lsn" in primary and "pg_last_wal_replay_lsn" in replica  # the guard asked

    # a page that is not a figure, ledger or export never reads the replica
    primary, replica = answered_by(pair, lambda: browser.request("GET", "/desk/"))
    assert "statement: SELECT" not in replica.replace("pg_last_wal_replay_lsn", "")


def test_a_paused_replica_past_the_lag_limit_sends_reads_back_to_the_primary(stack):
    pair, web, token = stack
    browser = supervisor(web)
    pair.replica.sql("SELECT pg_wal_replay_pause()")
    try:
        order = log_call(web, token)  # the replica never sees this one while paused
        time.sleep(MAX_LAG + 1)
        primary, replica = answered_by(pair, lambda: browser.request("GET", Day.path()))
        assert DASHBOARD_READ.search(primary) and not DASHBOARD_READ.search(replica)
        status, body = browser.request("GET", "/orders/")
        assert status == 200 and order["number"].encode() in body  # the ledger shows the new order
    finally:
        pair.replica.sql("SELECT pg_wal_replay_resume()")
    pair.wait_caught_up()
    primary, replica = answered_by(pair, lambda: browser.request("GET", Day.path()))
    assert DASHBOARD_READ.search(replica) and not DASHBOARD_READ.search(primary)


def test_a_replica_that_is_down_sends_reads_to_the_primary(stack):
    pair, web, token = stack
    browser = supervisor(web)
    pair.replica.stop()
    try:
        primary, _ = answered_by(pair, lambda: browser.request("GET", Day.path()))
        assert DASHBOARD_READ.search(primary)
        status, _ = browser.request("GET", Day.path())
        assert status == 200
    finally:
        pair.replica.start()
