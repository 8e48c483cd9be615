"""insert_rows (hotline/rows.py) writes exactly the rows save() and bulk_create() would."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.signals import post_save, pre_init, pre_save
from django.utils import timezone

from hotline.rows import insert_rows, insert_values
from workorders.models import Event, FollowUp, WorkOrder


def new_order(district, number: str, **fields) -> WorkOrder:
    now = timezone.now()
    values = dict(
        number=number,
        channel="hotline",
        title="路口有人占道摆摊",
        description="每天傍晚在小区门口摆摊。",
        caller_phone="13812345678",
        caller_name="张三",
        address="幸福里小区东门",
        lat=39.905,
        lng=116.305,
        street=district.street_a,
        category=district.cat_territorial,
        status="accepted",
        version=1,
        tracking_code="ABC234",
        created_by=district.user("operator"),
        created_at=now,
        updated_at=now,
        due_at=now + timedelta(days=1),
    )
    return WorkOrder(**{**values, **fields})


def stored(model, pk, exclude=("id", "number")) -> dict:
    row = model.objects.filter(pk=pk).values().get()
    return {k: v for k, v in row.items() if k not in exclude}


def test_an_order_is_stored_as_save_stores_it(district):
    by_save = new_order(district, "T1")
    by_save.save(force_insert=True)
    fast = new_order(
        district, "T2", created_at=by_save.created_at, updated_at=by_save.updated_at, due_at=by_save.due_at
    )
    assert insert_rows([fast]) == [fast]
    assert fast.pk is not None and fast.pk != by_save.pk
    assert fast._state.adding is False and fast._state.db == "default"
    assert stored(WorkOrder, fast.pk) == stored(WorkOrder, by_save.pk)
    # The defaults the model declares are written too, not left to the database.
    assert (fast.request_type, fast.urgency, fast.callback_attempts) == ("complaint", "normal", 0)


def test_an_event_payload_is_stored_as_json(district):
    order = new_order(district, "T3")
    insert_rows([order])
    payload = {"units": {"current_unit": None}, "note": '引号"与中文', "n": [1, 2.5, True]}
    event = insert_rows(
        [Event(order=order, seq=1, kind="log_call", actor_role="operator", payload=payload, created_at=timezone.now())]
    )[0]
    assert Event.objects.get(pk=event.pk).payload == payload


def test_save_signals_are_sent_for_each_new_row(district):
    seen = []

    def pre(sender, instance, **kw):
        seen.append(("pre", instance.pk, kw["raw"]))

    def post(sender, instance, created, **kw):
        seen.append(("post", instance.pk, created))

    pre_save.connect(pre, sender=WorkOrder)
    post_save.connect(post, sender=WorkOrder)
    try:
        order = insert_rows([new_order(district, "T4")])[0]
    finally:
        pre_save.disconnect(pre, sender=WorkOrder)
        post_save.disconnect(post, sender=WorkOrder)
    assert seen == [("pre", None, False), ("post", order.pk, True)]


def test_ignore_conflicts_skips_a_duplicate_as_bulk_create_does(district):
    order = insert_rows([new_order(district, "T5")])[0]
    now = timezone.now()
    event = insert_rows([Event(order=order, seq=1, kind="log_call", payload={}, created_at=now)])[0]

    def rows(*tasks):
        return [FollowUp(event=event, order=order, task=t, available_at=now, created_at=now) for t in tasks]

    insert_rows(rows("a", "b"), ignore_conflicts=True)
    insert_rows(rows("b", "c"), ignore_conflicts=True)  # "b" is there already
    assert sorted(FollowUp.objects.filter(event=event).values_list("task", "state", "attempts")) == [
        ("a", "pending", 0),
        ("b", "pending", 0),
        ("c", "pending", 0),
    ]


def test_a_broken_constraint_raises_and_marks_the_transaction_for_rollback(district):
    insert_rows([new_order(district, "T6")])
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            insert_rows([new_order(district, "T6")])  # the number is unique
        assert connection.needs_rollback


@pytest.mark.parametrize(
    "bad",
    [
        lambda d: [new_order(d, "T7", version=F("version") + 1)],  # an expression
        lambda d: [WorkOrder.objects.first()],  # a saved row
    ],
)
def test_what_it_cannot_write_is_refused(district, bad):
    insert_rows([new_order(district, "T8")])
    with pytest.raises((TypeError, ValueError)):
        insert_rows(bad(district))


# --- insert_values: rows without instances -----------------------------------------------


def test_rows_without_instances_are_stored_as_bulk_create_stores_them(district):
    order = insert_rows([new_order(district, "V1")])[0]
    now = timezone.now()
    by_orm = Event.objects.create(order=order, seq=1, kind="log_call", actor_role="operator", created_at=now)
    payload = {"units": {"current_unit": None}, "note": '引号"与中文', "n": [1, 2.5, True]}
    (event_id,) = insert_values(
        Event,
        [{"order_id": order.pk, "seq": 2, "kind": "log_call", "actor_role": "operator", "created_at": now}],
    )
    assert stored(Event, event_id, exclude=("id", "seq")) == stored(Event, by_orm.pk, exclude=("id", "seq"))
    assert Event.objects.get(pk=event_id).payload == {}  # the field's default, like the ORM's
    (with_payload,) = insert_values(
        Event, [{"order_id": order.pk, "seq": 3, "kind": "log_call", "payload": payload, "created_at": now}]
    )
    assert Event.objects.get(pk=with_payload).payload == payload

    FollowUp.objects.bulk_create([FollowUp(event=by_orm, order=order, task="a", available_at=now, created_at=now)])
    rows = [
        {"event_id": event_id, "order_id": order.pk, "task": t, "available_at": now, "created_at": now} for t in "ab"
    ]
    assert insert_values(FollowUp, rows, ignore_conflicts=True) == []
    assert insert_values(FollowUp, rows[1:], ignore_conflicts=True) == []  # "b" is there already: skipped
    a_orm = FollowUp.objects.get(event=by_orm, task="a")
    a_values = FollowUp.objects.get(event_id=event_id, task="a")
    assert stored(FollowUp, a_values.pk, exclude=("id", "event_id")) == stored(
        FollowUp, a_orm.pk, exclude=("id", "event_id")
    )
    assert sorted(
        FollowUp.objects.filter(event_id=event_id).values_list("task", "state", "attempts", "last_error")
    ) == [
        ("a", "pending", 0, ""),
        ("b", "pending", 0, ""),
    ]


def test_rows_ignoring_conflicts_can_return_the_keys_of_the_rows_they_wrote(district):
    order = insert_rows([new_order(district, "V2")])[0]
    now = timezone.now()
    (event_id,) = insert_values(Event, [{"order_id": order.pk, "seq": 1, "kind": "log_call", "created_at": now}])
    row = {"event_id": event_id, "order_id": order.pk, "available_at": now, "created_at": now}
    first = insert_values(FollowUp, [{**row, "task": "a"}], ignore_conflicts=True, returning=True)
    assert first == list(FollowUp.objects.filter(event_id=event_id, task="a").values_list("pk", flat=True))
    # "a" is there already: skipped and not returned; "b" is new.
    both = insert_values(FollowUp, [{**row, "task": t} for t in "ab"], ignore_conflicts=True, returning=True)
    assert both == list(FollowUp.objects.filter(event_id=event_id, task="b").values_list("pk", flat=True))
    assert insert_values(FollowUp, [{**row, "task": "b"}], ignore_conflicts=True, returning=True) == []


def test_rows_without_instances_refuse_unknown_names_and_auto_now_fields(district):
    from community.models import MonitorSource

    with pytest.raises(ValueError, match="titel"):
        insert_values(WorkOrder, [{"titel": "x"}])
    with pytest.raises(TypeError, match="auto_now"):
        insert_values(MonitorSource, [{}])


def test_an_intake_writes_its_event_and_follow_ups_without_instances(log_call):
    made = []

    def count(sender, **kw):
        made.append(sender.__name__)

    for model in (Event, FollowUp):
        pre_init.connect(count, sender=model)
    try:
        order = log_call(auto_dispatch=True)
    finally:
        for model in (Event, FollowUp):
            pre_init.disconnect(count, sender=model)
    assert made == []
    event = order.events.get()
    assert (event.seq, event.kind, event.to_status, event.actor_role) == (1, "log_call", "accepted", "operator")
    assert sorted(FollowUp.objects.filter(event=event).values_list("task", flat=True)) == [
        "dispatch.on_event",
        "dispatch.route_order",
    ]


def test_the_first_event_still_sends_save_signals_to_a_receiver(log_call):
    seen = []

    def post(sender, instance, created, **kw):
        seen.append((instance.kind, instance.seq, created))

    post_save.connect(post, sender=Event)
    try:
        log_call()
    finally:
        post_save.disconnect(post, sender=Event)
    assert seen == [("log_call", 1, True)]
