from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from workorders import services as svc
from workorders.choices import DeadlineState, Stage, Status
from workorders.errors import Conflict, InvalidInput
from workorders.models import Deadline, WorkOrder


def test_bad_intake_names_every_wrong_field_and_saves_nothing(district):
    with pytest.raises(InvalidInput) as info:
        svc.work_order_log_call(
            actor=district.user("operator"),
            caller_phone="abc",
            title="",
            description="x" * 5000,
            lat=91.0,
            lng=116.3,
            urgency="now",
            auto_dispatch=False,
        )
    assert set(info.value.errors) >= {"caller_phone", "title", "description", "lat", "urgency"}
    assert not WorkOrder.objects.exists()


def test_major_category_is_refused(district, log_call):
    with pytest.raises(InvalidInput) as info:
        log_call(category=district.cat_territorial.parent)
    assert "category" in info.value.errors


def test_stale_version_is_a_conflict_and_changes_nothing(district, log_call):
    order = log_call()
    stale = order.version
    svc.work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    with pytest.raises(Conflict) as info:
        svc.work_order_assign(
            order=order, actor=district.user("dispatcher"), unit=district.street_b, expected_version=stale
        )
    assert info.value.details["status"] == Status.ASSIGNED
    order.refresh_from_db()
    assert order.current_unit == district.street_a


def test_return_then_reassign_counts_the_bounce(district, log_call):
    order = svc.work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_b)
    order = svc.work_order_return(
        order=order, actor=district.user("handler_b"), reason="not_territory", note="不在本街道"
    )
    assert order.status == Status.RETURNED and order.return_count == 1 and order.current_unit is None
    assert Deadline.objects.get(order=order, stage=Stage.SIGN).state == DeadlineState.MET
    assert Deadline.objects.get(order=order, stage=Stage.HANDLE).state == DeadlineState.CANCELLED
    order = svc.work_order_reassign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    assert order.current_unit == district.street_a
    assert Deadline.objects.filter(order=order, state="open").count() == 3


def test_return_needs_a_coded_reason(district, log_call):
    order = svc.work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    with pytest.raises(InvalidInput):
        svc.work_order_return(order=order, actor=district.user("handler_a"), reason="lazy", note="不想办")
    with pytest.raises(InvalidInput):
        svc.work_order_return(order=order, actor=district.user("handler_a"), reason="other", note="  ")


def test_sub_dispatch_goes_one_level_down_with_its_own_sign_for(district, log_call):
    h = district.user("handler_a")
    order = svc.work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    order = svc.work_order_sign(order=order, actor=h)
    with pytest.raises(InvalidInput):
        svc.work_order_sub_dispatch(order=order, actor=h, unit=district.grid_a)  # skips a level
    order = svc.work_order_sub_dispatch(order=order, actor=h, unit=district.community_a)
    assert order.status == Status.ASSIGNED and order.lead_unit == district.street_a
    assert Deadline.objects.filter(order=order, stage=Stage.SIGN, state="open", unit=district.community_a).exists()
    order = svc.work_order_sign(order=order, actor=district.user("handler_community_a"))
    order = svc.work_order_sub_dispatch(order=order, actor=district.user("handler_community_a"), unit=district.grid_a)
    order = svc.work_order_return_up(order=order, actor=district.user("handler_grid_a"), note="需社区协调")
    assert order.status == Status.IN_PROGRESS and order.current_unit == district.community_a


def test_extension_moves_the_handling_deadline(district, log_call):
    h = district.user("handler_a")
    order = svc.work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    order = svc.work_order_sign(order=order, actor=h)
    handle = Deadline.objects.get(order=order, stage=Stage.HANDLE, state="open")
    with pytest.raises(InvalidInput):
        svc.work_order_request_extension(
            order=order, actor=h, proposed_due=handle.due_at - timedelta(hours=1), reason="需协调"
        )
    new_due = handle.due_at + timedelta(days=5)
    order = svc.work_order_request_extension(order=order, actor=h, proposed_due=new_due, reason="需协调产权单位")
    order = svc.work_order_approve_extension(order=order, actor=district.user("dispatcher"))
    handle.refresh_from_db()
    assert handle.due_at == new_due and handle.extended_count == 1


def test_unreachable_callbacks_close_after_the_configured_attempts(district, log_call, settings):
    settings.HOTLINE_CALLBACK_MAX_ATTEMPTS = 2
    d = district
    order = svc.work_order_assign(order=log_call(), actor=d.user("dispatcher"), unit=d.street_a)
    order = svc.work_order_sign(order=order, actor=d.user("handler_a"))
    order = svc.work_order_reply(order=order, actor=d.user("handler_a"), reply="已处理")
    order = svc.work_order_approve(order=order, actor=d.user("dispatcher"))
    order = svc.work_order_callback(order=order, actor=d.user("operator"), contacted=False)
    assert order.status == Status.CALLBACK and order.callback_attempts == 1
    order = svc.work_order_callback(order=order, actor=d.user("operator"), contacted=False)
    assert order.status == Status.CLOSED
    assert order.events.order_by("-seq").first().kind == "close_unreachable"


def test_unsatisfied_callback_reopens_at_the_handling_unit(district, log_call):
    d = district
    order = svc.work_order_assign(order=log_call(), actor=d.user("dispatcher"), unit=d.street_a)
    order = svc.work_order_sign(order=order, actor=d.user("handler_a"))
    order = svc.work_order_reply(order=order, actor=d.user("handler_a"), reply="已处理")
    order = svc.work_order_approve(order=order, actor=d.user("dispatcher"))
    order = svc.work_order_callback(
        order=order, actor=d.user("operator"), contacted=True, resolution="unsolved", satisfaction="unsatisfied"
    )
    assert order.status == Status.IN_PROGRESS and order.reopen_count == 1 and order.current_unit == d.street_a
    assert Deadline.objects.filter(order=order, stage=Stage.HANDLE, state="open").exists()


def test_numbers_are_date_plus_a_daily_sequence(district, log_call):
    first, second = log_call(), log_call()
    assert len(first.number) == 14 and first.number[:8] == second.number[:8]
    assert int(second.number[8:]) == int(first.number[8:]) + 1


def test_urgent_orders_get_the_shorter_limit(district, log_call):
    order = svc.work_order_assign(
        order=log_call(urgency="urgent"), actor=district.user("dispatcher"), unit=district.street_a
    )
    sign = Deadline.objects.get(order=order, stage=Stage.SIGN)
    assert sign.limit == "15m" and sign.due_at - sign.opened_at == timedelta(minutes=15)


def _to_callback(d, log_call, at):
    order = svc.work_order_assign(order=log_call(now=at), actor=d.user("dispatcher"), unit=d.street_a, now=at)
    order = svc.work_order_sign(order=order, actor=d.user("handler_a"), now=at)
    order = svc.work_order_reply(order=order, actor=d.user("handler_a"), reply="已处理", now=at)
    return svc.work_order_approve(order=order, actor=d.user("dispatcher"), now=at)


def test_an_unreachable_callback_keeps_the_callback_stage_open_until_the_retry_day(district, log_call):
    """The retry waits for the next working day (here past the Mid-autumn holiday), so the
    callback stage may not run out before it: its due time moves to that day's close."""
    district.cat_territorial.callback_limit = "4h"
    district.cat_territorial.save()
    thursday = timezone.make_aware(datetime(2026, 9, 24, 10, 0))
    order = _to_callback(district, log_call, thursday)
    callback = Deadline.objects.get(order=order, stage=Stage.CALLBACK, state="open")
    assert callback.due_at == thursday + timedelta(hours=4)
    order = svc.work_order_callback(
        order=order, actor=district.user("operator"), contacted=False, now=thursday + timedelta(hours=3)
    )
    callback.refresh_from_db()
    monday_close = timezone.make_aware(datetime(2026, 9, 28, 17, 30))
    assert callback.due_at == monday_close and callback.extended_count == 1 and callback.warned_at is None
    assert order.due_at == monday_close
    event = order.events.get(kind="callback_unreachable")
    assert event.payload["callback_due"] == monday_close.isoformat()


def test_an_unreachable_callback_leaves_a_later_callback_due_time_alone(district, log_call):
    district.cat_territorial.callback_limit = "7d"  # due 1 October, after the retry day
    district.cat_territorial.save()
    thursday = timezone.make_aware(datetime(2026, 9, 24, 10, 0))
    order = _to_callback(district, log_call, thursday)
    due = Deadline.objects.get(order=order, stage=Stage.CALLBACK, state="open").due_at
    order = svc.work_order_callback(order=order, actor=district.user("operator"), contacted=False, now=thursday)
    assert Deadline.objects.get(order=order, stage=Stage.CALLBACK, state="open").due_at == due
    assert "callback_due" not in order.events.get(kind="callback_unreachable").payload
