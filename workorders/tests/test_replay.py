"""The event log rebuilds every order, including after the scanner's audit-only marks
and an audited reveal (before, each of those made the replayed version one too high)."""

from datetime import timedelta

from django.utils import timezone

from dispatch.scan import deadline_scan
from workorders.models import Event, WorkOrder
from workorders.replay import replay_mismatches
from workorders.services import work_order_assign, work_order_reveal_caller, work_order_sign


def test_scan_then_replay_of_every_order_has_no_mismatch(district, log_call):
    t0 = timezone.now() - timedelta(hours=3)
    orders = []
    for _ in range(6):
        order = log_call(now=t0)
        orders.append(work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a, now=t0))
    work_order_sign(order=orders[0], actor=district.user("handler_a"), now=t0 + timedelta(minutes=5))
    work_order_reveal_caller(order=orders[1], actor=district.user("handler_a"))
    for minutes in (23, 31, 200):  # warn, breach (urge), and escalation later
        deadline_scan(now=t0 + timedelta(minutes=minutes))
    audit_kinds = set(Event.objects.values_list("kind", flat=True)) & {"deadline_warn", "deadline_urge"}
    assert audit_kinds == {"deadline_warn", "deadline_urge"}  # the scan did mark them
    assert WorkOrder.objects.count() == 6
    assert replay_mismatches() == []
