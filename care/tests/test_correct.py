"""更正档案: correcting a key resident's record after registration, by the grid's own
staff or the center, each change audited (field names only); masked roles cannot."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from care.models import Access, KeyResident, Kind, Outcome, ResidentAccess
from care.services import resident_correct, visit_record
from workorders.errors import InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db


def _fields(r, **overrides):
    fields = {"kind": r.kind, "name": r.name, "phone": r.phone, "address": r.address, "notes": r.notes}
    fields.update(overrides)
    return fields


@pytest.mark.parametrize("key", ["grid_worker_a", "handler_grid_a", "supervisor", "operator"])
def test_the_grids_own_staff_and_the_center_correct_a_record_and_each_change_is_audited(care, key):
    r = care.resident_a
    changed = resident_correct(
        resident=r, actor=care.user(key), **_fields(r, name="王秀云", phone="139 1111 3333", notes="")
    )
    assert changed == ["name", "phone", "notes"]
    r.refresh_from_db()
    assert (r.name, r.phone, r.notes, r.address) == ("王秀云", "139 1111 3333", "", "幸福里小区3号楼2单元501室")
    row = ResidentAccess.objects.get(resident=r, action=Access.CORRECT)
    assert row.actor == care.user(key) and row.fields == ["name", "phone", "notes"]
    assert row.unit is not None  # acting for the grid or the center


def test_nothing_changed_writes_no_audit_row(care):
    r = care.resident_a
    assert resident_correct(resident=r, actor=care.user("grid_worker_a"), **_fields(r, name=" 王秀英 ")) == []
    assert not ResidentAccess.objects.filter(action=Access.CORRECT).exists()


@pytest.mark.parametrize(
    "key", ["grid_worker_b", "handler_community_a", "handler_a", "handler_dept", "admin", "handler_b"]
)
def test_masked_readers_and_other_units_cannot_correct(care, key):
    r = care.resident_a
    with pytest.raises(NotAllowed):
        resident_correct(resident=r, actor=care.user(key), **_fields(r, name="某某"))
    r.refresh_from_db()
    assert r.name == "王秀英" and not ResidentAccess.objects.filter(action=Access.CORRECT).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"address": ""}, "address"),
        ({"phone": "12ab"}, "phone"),
        ({"kind": "nobody"}, "kind"),
        ({"notes": "x" * 1001}, "notes"),
    ],
)
def test_bad_input_says_which_field(care, overrides, field):
    r = care.resident_a
    with pytest.raises(InvalidInput) as exc:
        resident_correct(resident=r, actor=care.user("grid_worker_a"), **_fields(r, **overrides))
    assert field in exc.value.errors
    r.refresh_from_db()
    assert r.name == "王秀英"


def test_a_change_of_kind_reschedules_from_the_last_completed_visit(care):
    r = care.resident_a  # 独居老人: weekly
    done = timezone.now() - timedelta(days=10)
    visit_record(resident=r, actor=care.user("grid_worker_a"), outcome=Outcome.MET, notes="一切正常。", now=done)
    r.refresh_from_db()
    assert r.next_due == timezone.localdate(done) + timedelta(days=7)  # overdue now
    resident_correct(resident=r, actor=care.user("grid_worker_a"), **_fields(r, kind=Kind.HARDSHIP))  # monthly
    r.refresh_from_db()
    assert r.kind == Kind.HARDSHIP and r.next_due == timezone.localdate(done) + timedelta(days=30)
    assert ResidentAccess.objects.get(action=Access.CORRECT).fields == ["kind"]


def test_a_change_of_kind_before_any_visit_leaves_the_visit_due(care):
    r = care.resident_b
    due = r.next_due
    resident_correct(resident=r, actor=care.user("supervisor"), **_fields(r, kind=Kind.SERIOUSLY_ILL))
    r.refresh_from_db()
    assert r.next_due == due


def _edit_url(r):
    return reverse("care:resident_edit", args=[r.pk])


def test_correcting_from_the_page(client, care):
    r = care.resident_a
    client.force_login(care.user("grid_worker_a"))
    page = client.get(reverse("care:resident", args=[r.pk])).content.decode()
    assert 'id="correct"' in page
    form = client.get(_edit_url(r))
    assert form.status_code == 200 and "幸福里小区3号楼2单元501室" in form.content.decode()
    assert ResidentAccess.objects.filter(resident=r, action=Access.VIEW).count() == 2  # the record, then the form
    response = client.post(_edit_url(r), _fields(r, address="幸福里小区3号楼2单元502室"))
    assert response.status_code == 302 and response.url == reverse("care:resident", args=[r.pk])
    r.refresh_from_db()
    assert r.address == "幸福里小区3号楼2单元502室"
    client.force_login(care.user("supervisor"))
    body = client.get(reverse("care:resident", args=[r.pk])).content.decode()
    assert "更正档案（住址）" in body.split('id="accesses"')[1]  # the center sees which field, not the old value
    assert "501室" not in body


def test_the_page_shows_clear_errors_and_keeps_the_input(client, care):
    r = care.resident_a
    client.force_login(care.user("supervisor"))
    response = client.post(_edit_url(r), _fields(r, name="", phone="12ab", address="新地址"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "请填写此项。" in body and "电话号码格式不正确。" in body and "新地址" in body
    r.refresh_from_db()
    assert r.name == "王秀英" and r.address == "幸福里小区3号楼2单元501室"


@pytest.mark.parametrize("key", ["handler_community_a", "handler_a", "admin", "grid_worker_b", "handler_dept"])
def test_masked_readers_and_other_units_get_404_and_no_button(client, care, key):
    r = care.resident_a
    client.force_login(care.user(key))
    page = client.get(reverse("care:resident", args=[r.pk]))
    assert page.status_code == 404 or 'id="correct"' not in page.content.decode()
    assert client.get(_edit_url(r)).status_code == 404
    assert client.post(_edit_url(r), _fields(r, name="某某")).status_code == 404
    assert KeyResident.objects.get(pk=r.pk).name == "王秀英"


def test_the_correction_page_speaks_english(client, care):
    client.force_login(care.user("grid_worker_a"))
    body = client.get(_edit_url(care.resident_a), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Correct the record" in body and "Save correction" in body
    assert "Every correction is written to the access log" in body
