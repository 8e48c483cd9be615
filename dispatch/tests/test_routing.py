from datetime import timedelta

from django.utils import timezone

from dispatch.models import DispatchQueueEntry, Notification, RoutingRule, SystemAlert
from dispatch.selectors import dispatch_queue
from dispatch.tasks import sweep
from grids.models import OrgUnit, UnitKind
from workorders.choices import Routing, Status
from workorders.models import WorkOrder
from workorders.services import work_order_assign


def test_logged_call_is_routed_after_commit_to_the_street_it_was_located_in(district, routed):
    order = routed()
    assert order.status == Status.ASSIGNED
    assert order.current_unit == district.street_a
    assign = order.events.get(kind="assign")
    assert assign.actor is None and assign.payload["routing"]["reasons"][0]["code"] == "category_default"
    # The street's handler is told, once.
    staff = Notification.objects.filter(order=order, recipient__isnull=False)
    assert list(staff.values_list("recipient__username", flat=True)) == ["handler_a"]
    # and the caller had their receipt (dispatch/tests/test_resident_notices.py)
    assert Notification.objects.filter(order=order, recipient__isnull=True, address="13812345678").count() == 1


def test_department_rule_sends_territorial_category_to_the_named_department(district, routed):
    RoutingRule.objects.create(category=district.cat_territorial, target=Routing.DEPARTMENT, department=district.dept)
    assert routed().current_unit == district.dept


def test_rule_for_an_area_beats_a_district_wide_rule(district, routed):
    RoutingRule.objects.create(category=district.cat_territorial, target=Routing.TERRITORIAL, priority=1)
    RoutingRule.objects.create(
        category=district.cat_territorial,
        target=Routing.DEPARTMENT,
        department=district.dept,
        area=district.community_a,
        priority=50,
    )
    assert routed().current_unit == district.dept  # inside community A
    assert routed(lat=39.905, lng=116.325, address="").current_unit == district.street_b  # outside it


def test_conflicting_rules_leave_the_order_queued_with_both_targets_suggested(district, routed):
    other = OrgUnit.objects.create(code="D-ZJ", name="住建局", kind=UnitKind.DEPARTMENT, parent=district.center)
    for dept in (district.dept, other):
        RoutingRule.objects.create(category=district.cat_territorial, target=Routing.DEPARTMENT, department=dept)
    order = routed()
    assert order.status == Status.ACCEPTED
    entry = DispatchQueueEntry.objects.get(order=order, state="open")
    assert [r["code"] for r in entry.reasons] == ["conflicting_rules"]
    assert {s["unit"] for s in entry.suggestions} == {district.dept.pk, other.pk}
    assert list(dispatch_queue(user=district.user("dispatcher"))) == [entry]
    assert list(dispatch_queue(user=district.user("handler_a"))) == []


def test_unlocated_order_waits_with_reason_and_the_callers_earlier_street_suggested(district, routed):
    earlier = routed(lat=39.905, lng=116.325, address="")
    assert earlier.current_unit == district.street_b
    order = routed(lat=None, lng=None, address="一个没人知道的地方")
    assert order.status == Status.ACCEPTED
    entry = DispatchQueueEntry.objects.get(order=order)
    assert {"code": "not_located"} in entry.reasons
    assert entry.suggestions[0]["unit"] == district.street_b.pk
    # The dispatcher assigns it by hand: the entry leaves the queue.

    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_b)
    assert list(dispatch_queue(user=district.user("dispatcher"))) == []


def test_rule_pointing_at_a_deleted_unit_is_skipped_with_an_admin_alert(district, routed):
    gone = OrgUnit.objects.create(code="D-X", name="已撤销局", kind=UnitKind.DEPARTMENT, parent=district.center)
    rule = RoutingRule.objects.create(category=district.cat_territorial, target=Routing.DEPARTMENT, department=gone)
    gone.delete()
    rule.refresh_from_db()
    assert rule.department is None and rule.problem()
    order = routed()
    # Not lost and not crashed: the category's default still places it, and the admin sees why.
    assert order.current_unit == district.street_a
    assert SystemAlert.objects.filter(key=f"routing-rule-{rule.pk}", resolved=False).exists()


def test_sweep_queues_an_accepted_order_that_was_never_routed_with_the_routers_pick(district, log_call):
    order = log_call()  # auto_dispatch=False: as if the broker lost the message
    assert sweep()["queued"] == 0  # young: its message may still be on the way
    WorkOrder.objects.filter(pk=order.pk).update(updated_at=timezone.now() - timedelta(minutes=15))
    assert sweep()["queued"] == 1
    entry = DispatchQueueEntry.objects.get(order=order, state="open")
    assert entry.reasons[0] == {"code": "not_routed"}
    assert entry.suggestions[0]["unit"] == district.street_a.pk
    assert sweep()["queued"] == 0  # queued once
    order.refresh_from_db()
    assert order.status == Status.ACCEPTED  # a dispatcher decides; an operator may be answering it


def test_category_without_limits_still_gets_timers_and_the_admin_an_alert(district, routed):
    cat = district.cat_territorial
    cat.sign_limit = cat.contact_limit = cat.handle_limit = cat.urgent_sign_limit = cat.urgent_handle_limit = ""
    cat.save()
    order = routed()
    assert order.status == Status.ASSIGNED
    assert order.deadlines.filter(state="open").count() == 3  # default limits, never no timer
    alert = SystemAlert.objects.get(key=f"category-limits-{cat.pk}")
    assert "sign" in alert.message and "handle" in alert.message


def test_every_reason_the_router_stores_is_a_code_with_a_label(district, routed):
    """Issue 13: the router's reason codes are choices (RouteReason, and the model's
    VerdictCode), so the desk reads their labels instead of a list of its own."""
    from django.utils import translation

    from dispatch.models import ROUTE_PROBLEMS, RouteReason
    from triage.models import VerdictCode
    from web.views.desk import _problems

    RoutingRule.objects.create(category=district.cat_territorial, target=Routing.DEPARTMENT, department=district.dept)
    RoutingRule.objects.create(category=district.cat_territorial, target=Routing.TERRITORIAL)
    conflicting = routed()
    unlocated = routed(lat=None, lng=None, address="不知道在哪")
    assigned = work_order_assign(order=routed(category=None), actor=district.user("dispatcher"), unit=district.dept)
    codes = {r["code"] for e in DispatchQueueEntry.objects.all() for r in e.reasons}
    assert codes and codes <= set(RouteReason.values) | set(VerdictCode.values), codes
    assert set(ROUTE_PROBLEMS) <= set(RouteReason.values)
    with translation.override("en"):
        shown = _problems(DispatchQueueEntry.objects.get(order=conflicting).reasons)
        assert shown == str(RouteReason.CONFLICTING_RULES.label) == "routing rules conflict"
    assert unlocated.status == Status.ACCEPTED and assigned.status == Status.ASSIGNED
