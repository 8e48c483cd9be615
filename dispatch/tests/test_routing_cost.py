"""What routing costs the database, and the routing-rule cache that keeps it low
without ever using a rule longer than it should."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch import services
from dispatch.models import RoutingRule
from dispatch.services import route_order
from hotline import process_cache
from workorders.choices import Routing, Status

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def statements(run) -> list[str]:
    return [q["sql"] for q in run.captured_queries if not q["sql"].upper().startswith(TRANSACTION_CONTROL)]


def test_routing_an_order_takes_seven_statements(district, log_call):
    """Read the order; then, in the assign transition: lock it, read its open timers,
    write the three new timers in one INSERT, update it, append the event numbered by
    the INSERT itself and record its follow-up (the outbox row that replaces a broker
    message). No routing-rule query (cached), no separate seq query."""
    route_order(order_id=log_call(auto_dispatch=False).pk)  # warm the caches
    order = log_call(auto_dispatch=False)
    with CaptureQueriesContext(connection) as run:
        assert route_order(order_id=order.pk).status == Status.ASSIGNED
    sql = statements(run)
    assert len(sql) == 7, "\n".join(sql)
    assert sum(s.startswith('INSERT INTO "workorders_deadline"') for s in sql) == 1
    assert sum("workorders_followup" in s for s in sql) == 1
    assert order.deadlines.filter(state="open").count() == 3
    assert list(order.events.order_by("seq").values_list("seq", "kind")) == [(1, "log_call"), (2, "assign")]


def test_a_rule_saved_in_this_process_applies_to_the_next_order_at_once(district, routed):
    assert routed().current_unit == district.street_a
    rule = RoutingRule.objects.create(
        category=district.cat_territorial, target=Routing.DEPARTMENT, department=district.dept
    )
    assert routed().current_unit == district.dept
    rule.is_active = False
    rule.save()
    assert routed().current_unit == district.street_a


def test_a_rule_changed_by_another_process_applies_within_the_staleness_window(district, routed, monkeypatch):
    rule = RoutingRule.objects.create(
        category=district.cat_territorial, target=Routing.DEPARTMENT, department=district.dept
    )
    assert routed().current_unit == district.dept
    RoutingRule.objects.filter(pk=rule.pk).update(is_active=False)  # no signal, as from elsewhere
    assert routed().current_unit == district.dept  # still the cached rule
    now = process_cache.time.monotonic()
    monkeypatch.setattr(process_cache.time, "monotonic", lambda: now + services._rules.stale_after + 1)
    assert routed().current_unit == district.street_a
