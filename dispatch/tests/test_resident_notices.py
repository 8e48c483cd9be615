"""Residents are told by SMS (receipt with number and code; the approved reply with the
rating link), handling units are told of a send-back and a reopen: rows in the outbox's
follow-up, through the notification backends, redacted, to the caller's own number."""

import pytest
from django.test.utils import override_settings

from dispatch.follow_ups import track_link
from dispatch.models import Notification
from workorders.models import FollowUp
from workorders.services import (
    work_order_approve,
    work_order_callback,
    work_order_reply,
    work_order_send_back,
    work_order_sign,
    work_order_submit,
)

BASE = "https://12345.example.gov.cn"


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def _to_caller(order, kind):
    return list(
        Notification.objects.filter(order=order, event__kind=kind, recipient__isnull=True).values_list(
            "address", "text"
        )
    )


@override_settings(HOTLINE_PUBLIC_BASE_URL=BASE)
def test_a_logged_call_sends_the_caller_number_code_and_link(district, routed):
    order = routed()
    [(address, text)] = _to_caller(order, "log_call")
    assert address == "13812345678"
    assert order.number in text and order.tracking_code in text
    assert f"{BASE}/track/?number={order.number}&code={order.tracking_code}" in text
    assert FollowUp.objects.filter(order=order, task="dispatch.on_event", event__kind="log_call").exists()


def test_without_a_public_address_the_receipt_has_no_link(district, after_commit):
    order = after_commit(
        work_order_submit, channel="web", title="路灯坏了", description="路灯坏了。", caller_phone="13600001111"
    )
    [(address, text)] = _to_caller(order, "submit")
    assert address == "13600001111" and order.tracking_code in text and "http" not in text


def test_a_report_without_a_phone_tells_nobody(district, after_commit):
    order = after_commit(
        work_order_submit,
        channel="patrol",
        actor=district.user("grid_worker_a"),
        title="井盖",
        description="井盖破损。",
    )
    assert not Notification.objects.filter(order=order).exists()


@override_settings(HOTLINE_PUBLIC_BASE_URL=BASE)
def test_the_approved_reply_reaches_the_caller_redacted_with_the_rating_link(district, routed, after_commit):
    order = work_order_sign(order=routed(), actor=district.user("handler_a"))
    order = work_order_reply(
        order=order, actor=district.user("handler_a"), reply="已联系张三（13812345678），摊贩已劝离。"
    )
    after_commit(work_order_approve, order=order, actor=district.user("dispatcher"))
    [(address, text)] = _to_caller(order, "approve")
    assert address == "13812345678"
    assert "摊贩已劝离" in text and "请评价" in text and track_link(order) in text
    assert "13812345678" not in text and "张三" not in text  # redacted like every SMS


def test_send_back_and_reopen_tell_the_handling_unit(district, routed, after_commit):
    order = work_order_sign(order=routed(), actor=district.user("handler_a"))
    order = work_order_reply(order=order, actor=district.user("handler_a"), reply="已处理。")
    after_commit(work_order_send_back, order=order, actor=district.user("dispatcher"), note="缺少现场照片")
    told = Notification.objects.filter(order=order, event__kind="send_back")
    assert list(told.values_list("recipient__username", flat=True)) == ["handler_a"]
    assert "缺少现场照片" in told.get().text
    order = work_order_reply(order=order, actor=district.user("handler_a"), reply="已补拍照片。")
    order = work_order_approve(order=order, actor=district.user("dispatcher"))
    after_commit(
        work_order_callback,
        order=order,
        actor=district.user("operator"),
        contacted=True,
        resolution="unsolved",
        satisfaction="unsatisfied",
        note="摊贩又回来了",
    )
    reopen = Notification.objects.filter(order=order, event__kind="reopen", recipient__isnull=False)
    assert list(reopen.values_list("recipient__username", flat=True)) == ["handler_a"]
    assert "重办" in reopen.get().text


def test_a_redelivered_event_tells_the_caller_once(district, routed):
    from dispatch.follow_ups import event_follow_up

    order = routed()
    event = order.events.get(kind="log_call")
    event_follow_up(event_id=event.pk)
    event_follow_up(event_id=event.pk)
    assert len(_to_caller(order, "log_call")) == 1
