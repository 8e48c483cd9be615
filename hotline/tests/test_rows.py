"""insert_rows (hotline/rows.py) writes exactly the rows save() and bulk_create() would."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from hotline.rows import insert_rows
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
