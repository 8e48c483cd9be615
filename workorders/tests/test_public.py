import pytest

from workorders.choices import Status
from workorders.errors import InvalidInput
from workorders.public import public_rate, public_track
from workorders.services import work_order_approve, work_order_assign, work_order_reply, work_order_sign


def _to_callback(district, order):
    order = work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    order = work_order_sign(order=order, actor=district.user("handler_a"))
    order = work_order_reply(order=order, actor=district.user("handler_a"), reply="已处理完毕。")
    return work_order_approve(order=order, actor=district.user("dispatcher"))


def test_tracking_needs_the_right_code_and_shows_no_personal_data(district, log_call):
    order = log_call()
    assert public_track(number=order.number, code="WRONG1") is None
    assert public_track(number="20000101000001", code=order.tracking_code) is None
    view = public_track(number=order.number, code=order.tracking_code.lower())
    assert view is not None and view.status == Status.ACCEPTED and not view.can_rate
    dumped = repr(view)
    assert "13812345678" not in dumped and "张三" not in dumped
    assert [s.text for s in view.steps] == ["热线受理"]


def test_resident_rating_closes_or_reopens_only_while_awaiting_callback(district, log_call):
    order = log_call()
    with pytest.raises(InvalidInput):
        public_rate(number=order.number, code=order.tracking_code, resolution="solved", satisfaction="satisfied")
    order = _to_callback(district, order)
    view = public_track(number=order.number, code=order.tracking_code)
    assert view.can_rate and view.reply == "已处理完毕。"
    order = public_rate(
        number=order.number,
        code=order.tracking_code,
        resolution="unsolved",
        satisfaction="unsatisfied",
        comment="摊贩又回来了",
    )
    assert order.status == Status.IN_PROGRESS and order.reopen_count == 1
    last = order.events.order_by("-seq").first()
    assert last.kind == "reopen" and last.actor is None and "摊贩又回来了" in last.note
