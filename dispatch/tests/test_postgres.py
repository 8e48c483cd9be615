"""Behaviour that only PostgreSQL has: row locks with SKIP LOCKED, partial indexes."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from dispatch.scan import _due, deadline_scan
from workorders.models import Deadline, Event, WorkOrder
from workorders.services import work_order_assign

pytestmark = pytest.mark.postgres


def _due_orders(district, log_call, n):
    t0 = timezone.now() - timedelta(minutes=100)  # sign (30m) breached, contact (2h) warned
    for _ in range(n):
        order = log_call(now=t0)
        work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a, now=t0)


@pytest.mark.django_db(transaction=True)
def test_parallel_scanners_never_handle_the_same_deadline(district, log_call):
    _due_orders(district, log_call, 40)
    results, errors = [], []
    start = threading.Barrier(3)

    def scanner():
        try:
            start.wait()
            results.append(deadline_scan(batch_size=5))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scanner) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    handled = Counter(key for r in results for key in r.handled_ids)
    assert set(handled.values()) == {1}  # nobody handled a row twice
    assert sum(r.breached for r in results) == 40 and sum(r.warned for r in results) == 40
    events = Counter(
        (e.payload["deadline"], e.kind) for e in Event.objects.filter(kind__in=["deadline_warn", "deadline_urge"])
    )
    assert len(events) == 80 and set(events.values()) == {1}
    # A leftover row (an order busy during the scan) would be handled by the next one.
    assert deadline_scan().handled == 0


@pytest.mark.django_db(transaction=True)
def test_scanner_skips_an_order_a_person_is_changing_and_does_it_next_time(district, log_call):
    _due_orders(district, log_call, 1)
    order = WorkOrder.objects.get()
    held = threading.Event()
    release = threading.Event()

    def person():
        from django.db import transaction

        with transaction.atomic():
            WorkOrder.objects.select_for_update().get(pk=order.pk)
            held.set()
            release.wait(10)
        connections.close_all()

    t = threading.Thread(target=person)
    t.start()
    held.wait(10)
    try:
        busy = deadline_scan()
        assert busy.handled == 0 and busy.skipped >= 1  # did not wait for the lock
    finally:
        release.set()
        t.join(10)
    assert deadline_scan().handled == 2


@pytest.mark.django_db
def test_due_row_queries_are_index_scans_never_sequential():
    now = timezone.now()
    for phase in ("warn", "breach", "escalate"):
        qs = Deadline.objects.select_for_update(skip_locked=True, of=("self",)).filter(_due(phase, now))[:200]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # tiny table: ask what the plan can use
        plan = qs.explain()
        # Which partial index wins on an empty table is the planner's call (other apps add
        # their own); bench/deadline_scan.py shows deadline_to_warn/_to_breach at 1M rows.
        assert "Index Scan" in plan and "Seq Scan" not in plan, plan
