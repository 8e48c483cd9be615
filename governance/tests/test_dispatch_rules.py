"""派单异议 review, the no-push-down rule and the center acting on 兜底 orders."""

from datetime import timedelta

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from governance.scoring import period_bounds
from governance.services import push_down_overrides, return_review_decide
from workorders.errors import InvalidInput, NotAllowed
from workorders.models import Deadline, Event
from workorders.services import (
    work_order_assign,
    work_order_center_redispatch,
    work_order_reassign,
    work_order_return,
    work_order_sign,
)

pytestmark = pytest.mark.django_db


def _returned(district, log_call, **kw):
    order = log_call(**kw)
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    work_order_return(order=order, actor=district.user("handler_a"), reason="not_territory", note="不在本街道")
    order.refresh_from_db()
    return order


@override_settings(HOTLINE_RETURN_REVIEW_WORKDAYS=2)
def test_a_return_opens_the_centers_review_deadline_on_working_time(district, log_call):
    order = _returned(district, log_call)
    d = Deadline.objects.get(order=order, stage="return_review", state="open")
    assert d.limit == "2wd" and d.unit_id is None
    assert d.due_at > d.opened_at + timedelta(hours=8)  # two working days, not two hours


def test_overruled_return_goes_back_with_the_decision_recorded(district, log_call):
    order = _returned(district, log_call)
    with pytest.raises(NotAllowed):
        return_review_decide(order=order, actor=district.user("supervisor_a"), uphold=False, reason="x")
    with pytest.raises(InvalidInput):
        return_review_decide(order=order, actor=district.user("dispatcher"), uphold=False, reason=" ")
    return_review_decide(order=order, actor=district.user("dispatcher"), uphold=False, reason="位置确在甲街道")
    order.refresh_from_db()
    assert order.status == "assigned" and order.current_unit == district.street_a
    event = Event.objects.filter(order=order, kind="reassign").latest("seq")
    assert event.payload["review"] == {
        "decision": "overruled",
        "reason": "位置确在甲街道",
        "from_unit": district.street_a.pk,
    }
    assert Deadline.objects.get(order=order, stage="return_review").state == "met"


def test_upheld_return_must_go_to_another_unit(district, log_call):
    order = _returned(district, log_call)
    with pytest.raises(InvalidInput):
        return_review_decide(
            order=order, actor=district.user("dispatcher"), uphold=True, unit=district.street_a, reason="成立"
        )
    return_review_decide(
        order=order, actor=district.user("dispatcher"), uphold=True, unit=district.street_b, reason="属乙街道"
    )
    order.refresh_from_db()
    assert order.current_unit == district.street_b
    assert Event.objects.filter(order=order, kind="reassign").latest("seq").payload["review"]["decision"] == "upheld"


def test_late_review_is_breached(district, log_call):
    order = _returned(district, log_call)
    late = timezone.now() + timedelta(days=10)
    return_review_decide(order=order, actor=district.user("dispatcher"), uphold=False, reason="迟审", now=late)
    assert Deadline.objects.get(order=order, stage="return_review").state == "breached"


def test_department_matters_are_not_pushed_down_without_the_centers_reason(district, log_call):
    order = log_call(category=district.cat_department)
    with pytest.raises(InvalidInput) as err:
        work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    assert "unit" in err.value.errors
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.dept)  # its owner: fine
    order.refresh_from_db()
    assert order.current_unit == district.dept


def test_center_override_is_recorded_and_counted(district, log_call):
    order = log_call(category=district.cat_department)
    work_order_assign(
        order=order, actor=district.user("dispatcher"), unit=district.street_a, override="夜间占道需属地先行处置"
    )
    event = Event.objects.filter(order=order, kind="assign").latest("seq")
    assert event.payload["push_down_override"] == "夜间占道需属地先行处置"
    start, end = period_bounds("month", timezone.localdate())
    assert push_down_overrides(start=start, end=end).count() == 1


def test_territorial_matters_are_unaffected(district, log_call):
    order = log_call()
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)


def test_the_center_can_send_on_an_order_that_bounced_to_its_lead(district, log_call):
    order = _returned(district, log_call)
    # What dispatch.follow_ups does after HOTLINE_MAX_RETURNS: the system gives it to the center.
    work_order_reassign(order=order, actor=None, unit=district.center, note="兜底")
    with pytest.raises(NotAllowed):  # nobody at the center is a handler: signing is not the way
        work_order_sign(order=order, actor=district.user("dispatcher"))
    with pytest.raises(InvalidInput):
        work_order_center_redispatch(
            order=order, actor=district.user("dispatcher"), unit=district.center, note="留在中心"
        )
    work_order_center_redispatch(
        order=order, actor=district.user("dispatcher"), unit=district.street_b, note="经协调由乙街道办理"
    )
    order.refresh_from_db()
    assert (order.status, order.current_unit) == ("assigned", district.street_b)
    assert Deadline.objects.filter(order=order, stage="sign", state="open", unit=district.street_b).exists()
    # Only an order sitting at the center is redispatched this way.
    with pytest.raises(InvalidInput):
        work_order_center_redispatch(
            order=order, actor=district.user("dispatcher"), unit=district.street_a, note="再改"
        )


def test_the_desks_plain_reassign_records_a_decision_too(district, log_call):
    order = _returned(district, log_call)
    work_order_reassign(order=order, actor=district.user("dispatcher"), unit=district.street_b, note="属乙街道")
    review = Event.objects.filter(order=order, kind="reassign").latest("seq").payload["review"]
    assert review == {"decision": "upheld", "reason": "属乙街道", "from_unit": district.street_a.pk}
    assert Deadline.objects.get(order=order, stage="return_review").state == "met"


def test_the_deadline_scan_warns_and_marks_an_unreviewed_return(district, log_call):
    from dispatch.scan import deadline_scan

    order = _returned(district, log_call)
    d = Deadline.objects.get(order=order, stage="return_review", state="open")
    deadline_scan(now=d.due_at + timedelta(minutes=1))
    d.refresh_from_db()
    assert d.breached_at is not None  # 红灯: recorded once, as for any stage
    assert Event.objects.filter(order=order, kind="deadline_urge", payload__stage="return_review").count() == 1
