import pytest
from django.utils import timezone

from care.demo import seed_key_residents
from care.models import KeyResident, Visit

pytestmark = pytest.mark.django_db


def test_demo_residents_fill_every_grid_some_overdue_and_run_twice_adds_nothing(district):
    made = seed_key_residents()
    grids = {district.grid_a.pk, district.grid_a2.pk, district.grid_b.pk}
    assert set(KeyResident.objects.values_list("grid_id", flat=True)) == grids
    assert made == KeyResident.objects.count() >= 9
    assert KeyResident.objects.filter(next_due__lt=timezone.localdate()).exists()
    assert Visit.objects.filter(resident__grid=district.grid_a, by=district.user("grid_worker_a")).exists()
    assert seed_key_residents() == 0
