"""Real concurrency on PostgreSQL: row locks and the per-day counter under threads."""

import threading

import pytest
from django.db import connection

from workorders import services as svc
from workorders.errors import Conflict, WorkflowError
from workorders.models import WorkOrder

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(fns):
    """Start fns at the same instant (a barrier) and collect each result or exception."""
    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)

    def runner(i, fn):
        try:
            barrier.wait(timeout=30)
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_people_acting_on_one_order_exactly_one_wins(district, log_call):
    order = svc.work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    seen = order.version  # both read the order at this version, then act

    def sign():
        return svc.work_order_sign(order=order.pk, actor=district.user("handler_a"), expected_version=seen)

    def ret():
        return svc.work_order_return(
            order=order.pk, actor=district.user("handler_a"), reason="other", note="不属本单位", expected_version=seen
        )

    results = run_together([sign, ret])
    wins = [r for r in results if isinstance(r, WorkOrder)]
    losses = [r for r in results if isinstance(r, WorkflowError)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], Conflict)
    order.refresh_from_db()
    assert order.status == wins[0].status and order.version == seen + 1
    assert order.events.count() == 3  # log_call, assign, and only the winner's event


def test_many_threads_on_one_order_never_fork_its_history(district, log_call):
    order = svc.work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    order = svc.work_order_sign(order=order, actor=district.user("handler_a"))

    def urge():
        return svc.work_order_urge(order=order.pk, actor=district.user("supervisor"), note="请加快")

    results = run_together([urge] * 8)
    assert all(isinstance(r, WorkOrder) for r in results), results
    seqs = list(order.events.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) == 3 + 8


def test_order_numbers_stay_unique_under_twenty_concurrent_creators(district, log_call):
    results = run_together([lambda: log_call(auto_dispatch=False)] * 20)
    assert all(isinstance(r, WorkOrder) for r in results), results
    numbers = sorted(r.number for r in results)
    assert len(set(numbers)) == 20
    seqs = [int(n[8:]) for n in numbers]
    assert seqs == list(range(seqs[0], seqs[0] + 20))  # no gaps, no repeats


def test_a_creator_whose_transaction_is_still_open_does_not_hold_up_the_next(district, log_call):
    """Order numbers must not serialise intake: while one creation is still inside its
    transaction (here: paused before commit), another creator gets its number and
    commits at once; both numbers are of the same day, distinct and in issue order."""
    from django.db import transaction

    inside, release = threading.Event(), threading.Event()
    first = {}

    def slow_creator():
        try:
            with transaction.atomic():
                first["order"] = log_call(auto_dispatch=False)
                inside.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    slow = threading.Thread(target=slow_creator)
    slow.start()
    assert inside.wait(timeout=30)
    done = {}

    def fast_creator():
        try:
            done["order"] = log_call(auto_dispatch=False)
        finally:
            connection.close()

    fast = threading.Thread(target=fast_creator)
    fast.start()
    fast.join(timeout=10)
    finished_while_first_open = not fast.is_alive()
    release.set()
    slow.join(timeout=30)
    fast.join(timeout=30)
    assert finished_while_first_open, "the second creator waited for the first one's commit"
    a, b = first["order"].number, done["order"].number
    assert a[:8] == b[:8] and int(b[8:]) > int(a[8:])


def test_numbers_continue_after_a_day_counted_by_the_old_counter(district, log_call):
    """A day whose counter row predates the sequence (``last`` set, no ``base``)
    continues after its last number instead of starting again at 1."""
    from django.utils import timezone

    from workorders import numbers
    from workorders.models import OrderCounter

    today = timezone.localdate()
    numbers._bases.clear()
    OrderCounter.objects.filter(day=today).delete()
    OrderCounter.objects.create(day=today, last=41)
    order = log_call(auto_dispatch=False)
    assert order.number == f"{today:%Y%m%d}000042"
    assert log_call(auto_dispatch=False).number == f"{today:%Y%m%d}000043"


def test_two_operators_recording_the_last_failed_callbacks_at_once_close_the_order(district, log_call, settings):
    """Issue 13: whether a failed callback is the last one allowed was read before the
    row lock, so an operator who waited for a colleague's failed try still recorded
    "try again" and the order sat in callback with every try used. The decision is now
    made on the locked row: the second operator's try closes it as unreachable."""
    from django.db import transaction

    settings.HOTLINE_CALLBACK_MAX_ATTEMPTS = 3
    op, disp, h = district.user("operator"), district.user("dispatcher"), district.user("handler_a")
    order = svc.work_order_assign(order=log_call(), actor=disp, unit=district.street_a)
    order = svc.work_order_sign(order=order, actor=h)
    order = svc.work_order_reply(order=order, actor=h, reply="已处理")
    order = svc.work_order_approve(order=order, actor=disp)
    svc.work_order_callback(order=order.pk, actor=op, contacted=False)  # one try used, two left

    inside, release = threading.Event(), threading.Event()

    def first_operator():  # records the second try, and holds the lock until released
        try:
            with transaction.atomic():
                svc.work_order_callback(order=order.pk, actor=op, contacted=False)
                inside.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def second_operator():  # the third and last try, started while the second is uncommitted
        try:
            return svc.work_order_callback(order=order.pk, actor=op, contacted=False)
        finally:
            connection.close()

    first = threading.Thread(target=first_operator)
    first.start()
    assert inside.wait(timeout=30)
    second = threading.Thread(target=second_operator)
    second.start()
    # Let the second operator reach the row lock (it waits there) before the first commits.
    with connection.cursor() as cursor:
        for _ in range(100):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.1)
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    order.refresh_from_db()
    kinds = list(order.events.order_by("seq").values_list("kind", flat=True))
    assert kinds[-3:] == ["callback_unreachable", "callback_unreachable", "close_unreachable"], kinds
    assert order.status == "closed" and order.callback_attempts == 3
