"""First set-up of a real installation: the district from a file, the first admin."""

import copy
import io
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from grids.locate import locate
from grids.models import AddressAlias, Membership, OrgUnit
from workorders.models import CalendarDay, Category

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "district.example.geojson"


@pytest.mark.django_db
def test_example_district_file_sets_up_units_boundaries_categories_and_calendar():
    out = io.StringIO()
    call_command("setup_district", str(EXAMPLE), stdout=out, stderr=io.StringIO())
    assert "17 units created" in out.getvalue()
    assert OrgUnit.objects.filter(kind="grid").count() == 8
    assert Category.objects.get(code="0201").department.code == "D-SW"
    assert AddressAlias.objects.filter(alias="东湖花园", community__code="S01-01").exists()
    assert CalendarDay.objects.exists()  # limits in working time count holidays from day one
    grid = OrgUnit.objects.get(code="S02-02-01")
    assert grid.path.startswith(OrgUnit.objects.get(code="S02").path)
    # Re-applying the file updates in place.
    call_command("setup_district", str(EXAMPLE), stdout=out, stderr=io.StringIO())
    assert OrgUnit.objects.count() == 17 and "17 updated" in out.getvalue()
    located = locate(lat=39.915, lng=116.335, address="")
    assert located.grid is not None and located.grid.code == "S02-02-02"


@pytest.mark.django_db
def test_a_bad_district_file_imports_nothing_and_names_each_problem(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    bad = copy.deepcopy(data)
    bad["features"][3]["properties"]["parent"] = "NOPE"  # a street's parent
    bad["features"][12]["geometry"] = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(bad))
    with pytest.raises(CommandError) as exc:
        call_command("setup_district", str(path), stdout=io.StringIO())
    message = str(exc.value)
    assert "nothing imported" in message and "'NOPE'" in message and "feature 12 (S02-01-01): boundary" in message
    assert "feature 4 (S01-01): parent 'S01' has errors" in message
    assert OrgUnit.objects.count() == 0
    bad = copy.deepcopy(data)
    bad["features"][6]["properties"]["kind"] = "village"
    path.write_text(json.dumps(bad))
    with pytest.raises(CommandError, match="feature 6 .*village"):
        call_command("setup_district", str(path), stdout=io.StringIO())
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("setup_district", str(path), stdout=io.StringIO())


@pytest.mark.django_db
def test_first_admin_from_the_environment_refuses_weak_passwords(monkeypatch):
    call_command("setup_district", str(EXAMPLE), stdout=io.StringIO(), stderr=io.StringIO())
    for weak in ("password123", "12345678901", "short1!"):
        monkeypatch.setenv("HOTLINE_ADMIN_PASSWORD", weak)
        with pytest.raises(CommandError, match="password refused"):
            call_command("create_first_admin", "--noinput", stdout=io.StringIO())
    assert not get_user_model().objects.exists()
    monkeypatch.setenv("HOTLINE_ADMIN_PASSWORD", "river-Lamp-7-quiet")
    call_command("create_first_admin", "--noinput", "--username", "chief", stdout=io.StringIO())
    user = get_user_model().objects.get(username="chief")
    assert user.is_superuser and user.check_password("river-Lamp-7-quiet")
    assert Membership.objects.filter(user=user, role="admin", unit__kind="center").exists()
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_first_admin", "--noinput", "--username", "chief", stdout=io.StringIO())


@pytest.mark.django_db
def test_first_admin_without_a_password_and_noinput_is_refused(monkeypatch):
    monkeypatch.delenv("HOTLINE_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="HOTLINE_ADMIN_PASSWORD"):
        call_command("create_first_admin", "--noinput", stdout=io.StringIO())
