import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from grids.models import OrgUnit, UnitKind
from workorders.choices import Status
from workorders.models import Category, Event, WorkOrder
from workorders.replay import replay


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seed once for the module (it takes seconds), and empty the database afterwards so
    other modules start from the blank test database they expect."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True):  # the demo runs with DEBUG=1 only
        call_command("seed_demo", orders=150, days=60, stdout=io.StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_demo_district_has_the_promised_shape(demo):
    kinds = {k: OrgUnit.objects.filter(kind=k).count() for k in UnitKind.values}
    assert kinds["center"] == 1 and kinds["department"] >= 6 and kinds["street"] >= 4
    assert kinds["community"] >= 12 and kinds["grid"] >= 30
    assert Category.objects.filter(parent=None).count() >= 10
    assert Category.objects.exclude(parent=None).count() >= 60
    statuses = set(WorkOrder.objects.values_list("status", flat=True))
    assert statuses == set(Status.values), set(Status.values) - statuses


@pytest.mark.django_db
def test_replaying_events_reproduces_every_demo_order(demo):
    events = {}
    for e in Event.objects.order_by("order_id", "seq"):
        events.setdefault(e.order_id, []).append(e)
    mismatches = []
    for order in WorkOrder.objects.all():
        state = replay(events[order.pk])
        if (state.status, state.current_unit_id, state.lead_unit_id, state.version) != (
            order.status,
            order.current_unit_id,
            order.lead_unit_id,
            order.version,
        ):
            mismatches.append(order.number)
    assert not mismatches


@pytest.mark.django_db
def test_seeding_twice_duplicates_nothing(demo):
    counts = (OrgUnit.objects.count(), Category.objects.count(), WorkOrder.objects.count(), Event.objects.count())
    with override_settings(DEBUG=True):
        call_command("seed_demo", orders=150, days=60, stdout=io.StringIO())
    assert counts == (
        OrgUnit.objects.count(),
        Category.objects.count(),
        WorkOrder.objects.count(),
        Event.objects.count(),
    )
