from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.services import campaign_create
from workorders.models import Deadline, WorkOrder
from workorders.services import work_order_answer_now, work_order_assign

B_POINT = {"lat": 39.905, "lng": 116.325}  # grid B1, street B


@pytest.fixture
def orders(district, log_call):
    """Street A: one assigned (open), one answered on the call (closed); street B: one
    assigned whose sign deadline has passed (overdue, the dashboard's definition)."""
    disp, op = district.user("dispatcher"), district.user("operator")
    a_open = work_order_assign(order=log_call(), actor=disp, unit=district.street_a)
    a_closed = work_order_answer_now(order=log_call(title="咨询办事时间"), actor=op, answer="已解答")
    b_late = work_order_assign(order=log_call(**B_POINT), actor=disp, unit=district.street_b)
    # Time passes: the open deadline (and the order's copy of its due time) lie behind us.
    past = timezone.now() - timedelta(hours=2)
    Deadline.objects.filter(order=b_late, state="open").update(warn_at=past - timedelta(hours=1), due_at=past)
    WorkOrder.objects.filter(pk=b_late.pk).update(due_at=past)
    return {"a_open": a_open, "a_closed": a_closed, "b_late": b_late}


@pytest.fixture
def campaign(district):
    today = timezone.localdate()
    return campaign_create(
        name="背街小巷清零行动",
        owner=district.user("supervisor"),
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=9),
        units=[district.street_a, district.street_b],
    )
