import pytest

from workorders.choices import DeadlineState, Satisfaction, Stage, Status
from workorders.models import Deadline
from workorders.replay import replay
from workorders.services import (
    work_order_approve,
    work_order_assign,
    work_order_callback,
    work_order_reply,
    work_order_sign,
)


def test_hotline_call_runs_to_closure_with_every_step_in_the_log(district, log_call):
    order = log_call()
    assert order.status == Status.ACCEPTED
    assert order.number.startswith(order.created_at.astimezone().strftime("%Y%m%d"))
    assert (order.street, order.community, order.grid) == (district.street_a, district.community_a, district.grid_a)

    order = work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    assert order.status == Status.ASSIGNED and order.current_unit == district.street_a
    assert set(Deadline.objects.filter(order=order, state="open").values_list("stage", flat=True)) == {
        Stage.SIGN,
        Stage.CONTACT,
        Stage.HANDLE,
    }

    order = work_order_sign(order=order, actor=district.user("handler_a"))
    assert Deadline.objects.get(order=order, stage=Stage.SIGN).state == DeadlineState.MET
    order = work_order_reply(order=order, actor=district.user("handler_a"), reply="已劝离摊贩并清理现场。")
    order = work_order_approve(order=order, actor=district.user("dispatcher"))
    assert order.status == Status.CALLBACK
    order = work_order_callback(
        order=order,
        actor=district.user("operator"),
        contacted=True,
        resolution="solved",
        satisfaction=Satisfaction.SATISFIED,
    )
    assert order.status == Status.CLOSED and order.closed_at is not None
    assert not Deadline.objects.filter(order=order, state=DeadlineState.OPEN).exists()

    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds == ["log_call", "assign", "sign", "reply", "approve", "callback_close"]
    state = replay(order.events.all())
    assert (state.status, state.current_unit_id, state.lead_unit_id) == (
        order.status,
        order.current_unit_id,
        order.lead_unit_id,
    )


def test_routing_is_queued_after_commit_and_assigns_the_street(district, log_call, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = log_call(auto_dispatch=True)
    assert len(callbacks) >= 1
    order.refresh_from_db()
    assert order.status == Status.ACCEPTED  # nothing ran before the commit
    for callback in callbacks:
        callback()  # the commit happens: the (eager) route task runs
    order.refresh_from_db()
    assert order.status == Status.ASSIGNED and order.current_unit == district.street_a
    assert order.events.get(kind="assign").actor is None  # the machine did it


def test_a_refused_action_queues_nothing(district, log_call, django_capture_on_commit_callbacks):
    from workorders.errors import NotAllowed

    order = log_call()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(NotAllowed):
        work_order_assign(order=order, actor=district.user("handler_a"), unit=district.street_a)
    assert callbacks == []


def test_the_database_refuses_to_rewrite_or_delete_events(district, log_call):
    from django.db import DatabaseError, connection, transaction

    order = log_call()
    event = order.events.get()
    statements = ["UPDATE workorders_event SET note = 'x' WHERE id = %s"]
    if connection.vendor == "postgresql":  # SQLite keeps DELETE for Django's flush between tests
        statements.append("DELETE FROM workorders_event WHERE id = %s")
    for sql in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert order.events.get().note == event.note
