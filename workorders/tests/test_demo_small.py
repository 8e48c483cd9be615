"""Small demos on an empty database, and a re-run that finishes an interrupted build."""

import io

import pytest
from django.core.management import CommandError, call_command

from workorders.choices import Status
from workorders.demo import seed
from workorders.models import WorkOrder
from workorders.replay import replay


@pytest.fixture(autouse=True)
def _demo_debug(settings):
    settings.DEBUG = True  # seed_demo runs with DEBUG=1 only (pytest-django turns it off)


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


@pytest.mark.django_db
def test_the_demo_with_its_published_password_is_refused_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", orders=0, stdout=io.StringIO())
    assert not WorkOrder.objects.exists()
