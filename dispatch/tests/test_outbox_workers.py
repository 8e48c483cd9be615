"""The follow-up outbox with real processes: Celery workers and beat as subprocesses on
the test's PostgreSQL database, on Redis and on RabbitMQ. The test acts only through
services, wipes the broker, kills workers with SIGKILL, and then checks that every
follow-up took effect exactly once: each new-order SMS written to the notification file
once, each auto-dispatch-eligible order routed (assigned by the system) once."""

from __future__ import annotations

import os
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import override_settings

from dispatch.models import Notification
from dispatch.tests.test_workers import Processes, wait_for
from workorders.choices import Status
from workorders.models import Event, FollowUp, WorkOrder
from workorders.services import work_order_assign

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RABBITMQ_VARIABLE = "HOTLINE_TEST_RABBITMQ_URL"


def _required() -> bool:
    return os.environ.get("HOTLINE_REQUIRE_SERVICES") == "1" or os.environ.get("CI") == "true"


class Broker:
    """One broker the workers and this process share, and a way to lose every message."""

    def __init__(self, url: str):
        self.url = url
        self.kind = "redis" if url.startswith("redis") else "rabbitmq"

    def wipe(self) -> None:
        if self.kind == "redis":
            import redis

            redis.Redis.from_url(self.url).flushdb()  # this suite's broker database only
            return
        from hotline.celery import app

        # Every queue Celery uses, declared (as a worker would) then purged: ready and
        # unacknowledged messages alike are gone once their consumers are dead.
        with app.connection_for_write(self.url) as conn:
            channel = conn.default_channel
            for queue in app.amqp.queues.values():
                bound = queue(channel)
                bound.declare()
                bound.purge()


def _rabbitmq_url() -> str:
    url = os.environ.get(RABBITMQ_VARIABLE, "")
    if not url:
        message = f"{RABBITMQ_VARIABLE}=amqp://guest:guest@127.0.0.1:5672/<vhost> is not set"
        if _required():
            pytest.fail(message)
        pytest.skip(message)
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - any failure means the broker is unusable
        if _required():
            pytest.fail(f"RabbitMQ at {urlsplit(url).netloc} unreachable: {exc}")
        pytest.skip(f"RabbitMQ unreachable: {exc}")
    return url


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request, transactional_db):
    from hotline.celery import app

    url = settings.CELERY_BROKER_URL if request.param == "redis" else _rabbitmq_url()
    broker = Broker(url)
    names = ("broker_url", "broker_read_url", "broker_write_url")  # resolved once at configuration
    previous = {name: app.conf[name] for name in names}
    app.conf.update(dict.fromkeys(names, url))
    app._after_fork()  # drop the pooled connections to the previous broker
    assert app.connection_for_write().transport_cls == app.connection_for_write(url).transport_cls
    app.conf.task_always_eager = False  # this process's tasks go to the real broker
    broker.wipe()
    try:
        # and its commits run no drain: the workers' relay is what wakes them.
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
            yield broker
    finally:
        broker.wipe()
        app.conf.update(previous)
        app._after_fork()
        app.conf.task_always_eager = True


@pytest.fixture
def procs(tmp_path, broker):
    procs = Processes(tmp_path)
    procs.env.update(
        {
            "CELERY_BROKER_URL": broker.url,
            "HOTLINE_OUTBOX_SWEEP_INTERVAL": "1",
            "HOTLINE_OUTBOX_GRACE": "1",
        }
    )
    try:
        yield procs
    finally:
        procs.kill_all()  # before the test database is flushed: no worker outlives a test


def _work(district, log_call, n: int) -> tuple[list[int], list[int]]:
    """n dispatcher assignments and n auto-dispatch-eligible intakes, committed while no
    worker runs. Returns (assign event ids, intake order ids)."""
    assigned, intakes = [], []
    for _ in range(n):
        order = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
        assigned.append(order.events.get(kind="assign").pk)
        intakes.append(log_call(auto_dispatch=True).pk)
    return assigned, intakes


def _all_done() -> bool:
    return not FollowUp.objects.exclude(state=FollowUp.State.DONE).exists()


def _assert_exactly_once(procs: Processes, assign_events: list[int], intakes: list[int]) -> None:
    routed = WorkOrder.objects.filter(pk__in=intakes)
    assert set(routed.values_list("status", flat=True)) == {Status.ASSIGNED}, "an order was not routed"
    system_assigns = Counter(
        Event.objects.filter(order_id__in=intakes, kind="assign", actor__isnull=True).values_list("order_id", flat=True)
    )
    assert system_assigns == dict.fromkeys(intakes, 1), "an order was routed twice (or not by the router)"
    events = assign_events + list(
        Event.objects.filter(order_id__in=intakes, kind="assign").values_list("pk", flat=True)
    )
    handler = district_handler_pk()
    keys = [f"ev{pk}:u{handler}:sms" for pk in events]
    rows = Counter(Notification.objects.filter(event_id__in=events).values_list("dedupe_key", flat=True))
    assert {k: rows[k] for k in keys} == dict.fromkeys(keys, 1), "a new-order SMS row is missing or doubled"
    wait_for(
        lambda: not Notification.objects.filter(event_id__in=events).exclude(state="sent").exists(),
        60,
        "every new-order SMS to be sent",
    )
    sent = procs.sent_keys()
    assert {k: sent[k] for k in keys} == dict.fromkeys(keys, 1), "a new-order SMS was lost or sent twice"
    # The resident's receipt for each intake (log_call event), one row, sent once.
    receipts = list(Event.objects.filter(order_id__in=intakes, kind="log_call").values_list("pk", flat=True))
    assert len(receipts) == len(intakes)
    receipt_rows = Counter(Notification.objects.filter(event_id__in=receipts).values_list("dedupe_key", flat=True))
    assert len(receipt_rows) == len(intakes) and set(receipt_rows.values()) == {1}, "a receipt is missing or doubled"
    wait_for(
        lambda: not Notification.objects.filter(event_id__in=receipts).exclude(state="sent").exists(),
        60,
        "every receipt to be sent",
    )
    sent = procs.sent_keys()
    assert {k: sent[k] for k in receipt_rows} == dict.fromkeys(receipt_rows, 1), "a receipt was lost or sent twice"
    # assign: on_event; an intake: route_order and on_event (the caller's receipt), then
    # its assign's on_event.
    assert FollowUp.objects.filter(state=FollowUp.State.DONE).count() == len(assign_events) + 3 * len(intakes)


def district_handler_pk() -> int:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="handler_a").pk


def _claimed_now() -> int:
    """Pending rows a worker holds locked right now (claimed, handler running). A KEY
    SHARE probe in its own statement skips locked rows and releases its own at once."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM workorders_followup WHERE state = 'pending') - "
            "(SELECT count(*) FROM (SELECT id FROM workorders_followup WHERE state = 'pending' "
            "FOR KEY SHARE SKIP LOCKED) AS free)"
        )
        return cursor.fetchone()[0]


def test_a_wiped_broker_loses_no_follow_up(district, log_call, procs, broker):
    """Worker down, 20 assignments and 20 intakes committed, their messages wiped:
    started again, the workers deliver every new-order SMS once and route every order."""
    n = 20
    assign_events, intakes = _work(district, log_call, n)
    # Each assignment: its on_event. Each auto-dispatched intake (caller phone given):
    # route_order and on_event (the resident's receipt). The intake's own assign comes
    # later, from route_order in a worker. The hand-routed log_call records none.
    pending = Counter(FollowUp.objects.filter(state="pending").values_list("task", flat=True))
    assert pending == {"dispatch.on_event": 2 * n, "dispatch.route_order": n}
    broker.wipe()  # every nudge is gone; only the rows know
    procs.worker("w1")
    procs.beat()
    wait_for(_all_done, 120, "every follow-up to be done")
    _assert_exactly_once(procs, assign_events, intakes)


def test_a_worker_killed_with_rows_claimed_repeats_and_loses_nothing(district, log_call, procs, broker):
    n = 20
    assign_events, intakes = _work(district, log_call, n)
    procs.worker("w1")
    # SIGKILL while the worker holds a claimed row inside its transaction.
    wait_for(lambda: _claimed_now() > 0, 60, "the worker to claim a row", interval=0.002)
    procs.kill("w1")
    done_at_kill = FollowUp.objects.filter(state="done").count()
    assert done_at_kill < 3 * n, "the worker finished before the kill"
    broker.wipe()  # and its unacknowledged message with it
    procs.worker("w2")
    procs.beat()
    wait_for(_all_done, 120, "every follow-up to be done")
    _assert_exactly_once(procs, assign_events, intakes)


def test_two_worker_hosts_one_killed_mid_run_lose_and_repeat_nothing(district, log_call, procs, broker):
    """Two workers as separate hosts (-n) on one broker, routing and notifications on
    both, scans on the second; the first is killed mid-run."""
    n = 20
    assign_events, intakes = _work(district, log_call, n)
    quiet = ("--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info")
    procs.start("host-a", "worker", "--pool=solo", "-n", "host-a@%h", "-Q", "routing,notifications", *quiet)
    procs.start(
        "host-b", "worker", "--pool=solo", "-n", "host-b@%h", "-Q", "routing,notifications,scans,default", *quiet
    )
    procs.beat()
    wait_for(lambda: FollowUp.objects.filter(state="done").count() >= 5, 60, "the hosts to start draining", 0.005)
    procs.kill("host-a")
    assert FollowUp.objects.filter(state="done").count() < 3 * n, "the work finished before the kill"
    wait_for(_all_done, 120, "every follow-up to be done")
    _assert_exactly_once(procs, assign_events, intakes)


def test_a_committed_intake_is_routed_by_a_worker_woken_by_its_relay(district, log_call, procs, broker, monkeypatch):
    """No beat (no sweep), and this process, standing for the web, cannot send a message:
    the worker's relay alone wakes the drains, for rows committed before it started and
    for rows committed while it runs (PostgreSQL: the trigger's NOTIFY)."""
    from workorders import outbox

    def no_message(**_):
        raise AssertionError("the committing process sent a broker message")

    monkeypatch.setattr(outbox, "follow_ups_nudge", no_message)
    before = log_call(auto_dispatch=True).pk  # committed while no worker runs
    procs.worker("w1")
    wait_for(lambda: WorkOrder.objects.get(pk=before).status == Status.ASSIGNED, 60, "the first order to be routed")
    routed_in = []
    for _ in range(3):
        t0 = time.monotonic()
        pk = log_call(auto_dispatch=True).pk
        wait_for(
            lambda pk=pk: WorkOrder.objects.get(pk=pk).status == Status.ASSIGNED, 30, "an order to be routed", 0.005
        )
        routed_in.append(time.monotonic() - t0)
    # Woken at once, not by a 5 s safety poll (nor a sweep: there is no beat).
    assert min(routed_in) < 2.0, routed_in
    wait_for(_all_done, 60, "every follow-up to be done")
    assert Counter(
        Event.objects.filter(kind="assign", actor__isnull=True).values_list("order_id", flat=True)
    ) == dict.fromkeys(WorkOrder.objects.filter(status=Status.ASSIGNED).values_list("pk", flat=True), 1)
