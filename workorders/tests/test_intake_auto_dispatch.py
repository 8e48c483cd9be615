"""``auto_dispatch`` is a hotline call's choice (the operator routes it herself); on any
other channel work_order_intake leaves it out instead of handing it to work_order_submit,
which has no such argument (found by the type check: it was a TypeError)."""

from __future__ import annotations

from workorders.models import FollowUp
from workorders.services import work_order_intake
from workorders.transitions import ROUTE


def test_another_channel_with_auto_dispatch_is_submitted(district):
    order = work_order_intake(
        channel="web", description="小区路灯不亮", caller_phone="13600001111", auto_dispatch=False
    )
    assert order.channel == "web" and order.status == "submitted"


def test_a_hotline_call_without_auto_dispatch_queues_no_routing(district):
    operator = district.user("operator")
    routed = work_order_intake(channel="hotline", actor=operator, description="噪音扰民", caller_phone="13600001112")
    kept = work_order_intake(
        channel="hotline", actor=operator, description="噪音扰民", caller_phone="13600001113", auto_dispatch=False
    )
    tasks = set(FollowUp.objects.filter(task=ROUTE).values_list("order_id", flat=True))
    assert routed.pk in tasks and kept.pk not in tasks
