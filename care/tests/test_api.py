"""GET /api/v1/care/visits/due: the grid worker's app reads the visits due today and
overdue, with the pages' privacy rule (full for the grid's own staff and the center,
audited; masked for the territory above; nothing for other units)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from care.models import Access, KeyResident, ResidentAccess
from care.services import resident_set_active

pytestmark = pytest.mark.django_db

URL = "/api/v1/care/visits/due"


def _get(client, care, key, **params):
    client.force_login(care.user(key))
    return client.get(URL, params)


def test_the_url_is_the_documented_one():
    assert reverse("api:care-visits-due") == URL


def test_the_grid_worker_reads_their_grids_due_visits_in_full_and_each_reading_is_audited(client, care):
    today = timezone.localdate()
    KeyResident.objects.filter(pk=care.resident_a.pk).update(next_due=today - timedelta(days=3))
    response = _get(client, care, "grid_worker_a")
    assert response.status_code == 200
    body = response.json()
    assert body["today"] == today.isoformat() and body["count"] == 1 and not body["truncated"]
    (row,) = body["results"]
    assert row["resident"] == care.resident_a.pk and row["grid"]["id"] == care.grid_a.pk
    assert (row["name"], row["phone"], row["address"]) == ("王秀英", "13911112222", "幸福里小区3号楼2单元501室")
    assert row["notes"] == "独居，患糖尿病。" and not row["masked"]
    assert (row["state"], row["late_days"], row["interval_days"], row["kind"]) == ("overdue", 3, 7, "alone_elderly")
    access = ResidentAccess.objects.get(resident=care.resident_a, action=Access.LIST, actor=care.user("grid_worker_a"))
    assert access.unit == care.grid_a


def test_not_yet_due_and_off_the_roll_are_left_out_and_overdue_narrows(client, care):
    today = timezone.localdate()
    resident_set_active(resident=care.resident_b, actor=care.user("supervisor"), active=False)
    KeyResident.objects.filter(pk=care.resident_a.pk).update(next_due=today + timedelta(days=1))
    assert _get(client, care, "supervisor").json()["results"] == []
    KeyResident.objects.filter(pk=care.resident_a.pk).update(next_due=today)
    rows = _get(client, care, "supervisor").json()["results"]
    assert [(r["resident"], r["state"], r["late_days"]) for r in rows] == [(care.resident_a.pk, "today", 0)]
    assert _get(client, care, "supervisor", overdue="true").json()["results"] == []


def test_the_center_reads_every_grid_and_narrows_by_grid(client, care):
    body = _get(client, care, "supervisor").json()
    assert {r["resident"] for r in body["results"]} == {care.resident_a.pk, care.resident_b.pk}
    assert all(not r["masked"] for r in body["results"])
    narrowed = _get(client, care, "supervisor", grid=care.grid_b.pk).json()["results"]
    assert [r["resident"] for r in narrowed] == [care.resident_b.pk]


@pytest.mark.parametrize("key", ["handler_community_a", "handler_a", "admin"])
def test_the_territory_above_and_admins_get_them_masked_and_nothing_is_logged(client, care, key):
    body = _get(client, care, key).content.decode()
    assert "王秀英" not in body and "13911112222" not in body and "幸福里" not in body and "糖尿病" not in body
    rows = [r for r in _get(client, care, key).json()["results"] if r["resident"] == care.resident_a.pk]
    assert rows and rows[0]["masked"] and rows[0]["name"] == "王**" and rows[0]["phone"] == "139****2222"
    assert not ResidentAccess.objects.filter(action=Access.LIST).exists()


@pytest.mark.parametrize("key", ["grid_worker_b", "handler_b", "handler_dept"])
def test_another_grid_street_or_department_does_not_see_the_resident(client, care, key):
    results = _get(client, care, key).json()["results"]
    assert care.resident_a.pk not in {r["resident"] for r in results}


def test_strangers_and_bad_input_are_refused(client, care):
    assert client.get(URL).status_code in (401, 403)
    assert _get(client, care, "grid_worker_a", grid="x").status_code == 400
    assert _get(client, care, "grid_worker_a", colour="red").status_code == 400


def test_the_schema_documents_the_endpoint(client, care):
    client.force_login(care.user("supervisor"))
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/json").json()
    operation = schema["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"grid", "overdue"}
    assert "post" not in schema["paths"][URL]
