"""Tasks applied eagerly in two threads at once (the suite's concurrency tests: each
thread's commit drains its follow-ups in that thread) must not leave Celery's
process-wide "inside a task" flag set for the tests after them (conftest.py)."""

import threading

from celery._state import task_join_will_block
from celery.result import denied_join_result


def test_1_two_threads_interleaving_eager_tasks_leave_the_flag_set():
    # What two eager apply_async calls do when their threads interleave: A enters, B
    # enters (saving "set"), A leaves (clearing it), B leaves (restoring "set").
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        with denied_join_result():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second():
        a_in.wait(5)
        with denied_join_result():
            b_in.set()
            a_out.wait(5)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert task_join_will_block(), "the interleaving this test reproduces no longer leaves the flag set"


def test_2_the_next_test_starts_outside_a_task():
    assert not task_join_will_block()
