"""Small demos on an empty database, and a re-run that finishes an interrupted build."""

import io

import pytest
from django.core.management import call_command

from workorders.choices import Status
from workorders.demo import seed
from workorders.models import WorkOrder
from workorders.replay import replay


def _statuses() -> set[str]:
    return set(WorkOrder.objects.values_list("status", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("orders", [0, 12])
def test_small_demo_on_an_empty_database_has_every_status(orders):
    call_command("seed_demo", orders=orders, days=10, stdout=io.StringIO())
    assert _statuses() == set(Status.values)
    merged = WorkOrder.objects.get(status=Status.MERGED)
    assert merged.parent_id not in (None, merged.pk)
    for order in WorkOrder.objects.all():
        assert replay(list(order.events.order_by("seq"))).status == order.status


@pytest.mark.django_db
def test_a_rerun_finishes_a_demo_whose_build_was_interrupted():
    # The history was simulated but the run stopped before the every-status step.
    units = seed.seed_units()
    categories, users = seed.seed_categories(units), seed.seed_users(units)
    seed.seed_orders(count=3, days=5, units=units, categories=categories, users=users)
    assert _statuses() != set(Status.values)
    call_command("seed_demo", orders=3, days=5, stdout=io.StringIO())
    assert _statuses() == set(Status.values)
    count = WorkOrder.objects.count()
    call_command("seed_demo", orders=3, days=5, stdout=io.StringIO())
    assert WorkOrder.objects.count() == count
