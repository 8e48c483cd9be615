"""Key residents in the PIPL retention: a record off the roll for longer than
HOTLINE_CARE_RETENTION_DAYS, or named by a person's request, loses name, phone, address
and every note, through the daily job and ``manage.py anonymise``; the figures stay."""

import io
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from care.models import Access, KeyResident, Outcome, ResidentAccess, Visit
from care.retention import care_anonymise_expired, care_anonymise_person
from care.selectors import overdue_by_grid, overdue_visits
from care.services import resident_correct, resident_set_active, visit_order_create, visit_record
from dispatch.tasks import retention
from workorders.errors import Conflict

pytestmark = pytest.mark.django_db

PERSONAL = ("王秀英", "13911112222", "幸福里小区3号楼2单元501室", "独居，患糖尿病。", "血压偏高")


def _off_roll(care, resident, days_ago: int):
    """``resident`` visited twice (notes about health), then taken off the roll."""
    worker = care.user("grid_worker_a" if resident.grid_id == care.grid_a.pk else "grid_worker_b")
    past = timezone.now() - timedelta(days=days_ago + 30)
    visit_record(resident=resident, actor=worker, outcome=Outcome.MET, notes="血压偏高，已提醒服药。", now=past)
    visit_record(resident=resident, actor=worker, outcome=Outcome.ABSENT, notes="家中无人。", now=past)
    resident_set_active(resident=resident, actor=worker, active=False, now=timezone.now() - timedelta(days=days_ago))
    resident.refresh_from_db()
    return resident


def _figures(care):
    today = timezone.localdate()
    return (
        sorted(Visit.objects.values_list("resident_id", "due", "done_at", "by_id", "outcome", "order_id")),
        sorted(KeyResident.objects.values_list("pk", "grid_id", "kind", "active", "next_due")),
        overdue_by_grid(care.user("supervisor"), today),
        overdue_visits(None, today),
    )


def test_taking_off_the_roll_starts_the_retention_clock_and_back_on_stops_it(care):
    r = care.resident_a
    assert r.inactive_since is None
    resident_set_active(resident=r, actor=care.user("grid_worker_a"), active=False)
    r.refresh_from_db()
    assert r.inactive_since is not None
    resident_set_active(resident=r, actor=care.user("grid_worker_a"), active=True)
    r.refresh_from_db()
    assert r.inactive_since is None


def test_a_resident_off_the_roll_longer_than_the_period_is_anonymised_and_the_figures_stay(care):
    old = _off_roll(care, care.resident_a, days_ago=400)
    recent = _off_roll(care, care.resident_b, days_ago=10)
    before = _figures(care)

    run = care_anonymise_expired(days=365)

    assert run.residents == [old.pk] and run.visits == 2
    old.refresh_from_db()
    assert (old.name, old.phone, old.address, old.notes) == ("", "", "", "")
    assert old.anonymised_at is not None
    assert set(Visit.objects.filter(resident=old).values_list("notes", flat=True)) == {""}
    recent.refresh_from_db()
    assert recent.name == "李建国" and recent.anonymised_at is None
    assert Visit.objects.filter(resident=recent).exclude(notes="").count() == 2
    assert _figures(care) == before  # visits done, outcomes, schedule, overdue counts
    row = ResidentAccess.objects.get(resident=old, action=Access.ANONYMISE)
    assert row.actor is None and row.reason == "retention"
    assert care_anonymise_expired(days=365).residents == []  # done once
    assert ResidentAccess.objects.filter(action=Access.ANONYMISE).count() == 1


def test_residents_on_the_roll_are_never_anonymised_by_age(care):
    KeyResident.objects.update(created_at=timezone.now() - timedelta(days=2000))
    assert care_anonymise_expired(days=1).residents == []


def test_the_daily_job_uses_the_care_retention_setting(care, settings):
    r = _off_roll(care, care.resident_a, days_ago=40)
    settings.HOTLINE_CARE_RETENTION_DAYS = 365
    assert retention() == 0
    settings.HOTLINE_CARE_RETENTION_DAYS = 30
    assert retention() == 1
    r.refresh_from_db()
    assert r.name == "" and r.anonymised_at is not None
    assert retention() == 0


def test_the_command_dry_run_reports_and_changes_nothing(care):
    r = _off_roll(care, care.resident_a, days_ago=400)
    rows = list(KeyResident.objects.values_list("pk", "name", "phone", "address", "notes").order_by("pk"))
    notes = list(Visit.objects.values_list("pk", "notes").order_by("pk"))
    out = io.StringIO()
    call_command("anonymise", dry_run=True, stdout=out)
    assert f"would anonymise key resident #{r.pk}" in out.getvalue()
    assert "would anonymise 1 key residents (2 visit notes removed)" in out.getvalue()
    assert list(KeyResident.objects.values_list("pk", "name", "phone", "address", "notes").order_by("pk")) == rows
    assert list(Visit.objects.values_list("pk", "notes").order_by("pk")) == notes
    assert not ResidentAccess.objects.filter(action=Access.ANONYMISE).exists()

    call_command("anonymise", care_days=500, stdout=out)  # not long enough yet
    r.refresh_from_db()
    assert r.anonymised_at is None
    out = io.StringIO()
    call_command("anonymise", stdout=out)
    assert "anonymised 1 key residents (2 visit notes removed)" in out.getvalue()
    r.refresh_from_db()
    assert r.anonymised_at is not None


def test_a_persons_request_anonymises_their_records_off_the_roll_and_names_those_on_it(care, log_call):
    off = _off_roll(care, care.resident_a, days_ago=3)  # off the roll days ago: a request needs no wait
    KeyResident.objects.filter(pk=care.resident_b.pk).update(phone="139-1111-2222")  # same person, another grid
    out = io.StringIO()
    call_command("anonymise", phone="13911112222", stdout=out)
    text = out.getvalue()
    assert f"anonymised key resident #{off.pk}" in text
    assert f"key resident #{care.resident_b.pk} still on the roll, not anonymised" in text
    off.refresh_from_db(), care.resident_b.refresh_from_db()
    assert off.name == "" and off.phone == ""
    assert care.resident_b.name == "李建国"
    assert ResidentAccess.objects.get(resident=off, action=Access.ANONYMISE).reason == "request"
    assert care_anonymise_person(phone="13911112222").residents == []


def test_bad_command_input_is_a_clear_error(db):
    with pytest.raises(CommandError, match="--care-days"):
        call_command("anonymise", care_days=0)
    with pytest.raises(CommandError, match="--phone"):
        call_command("anonymise", phone="13911112222", care_days=5)
    with pytest.raises(ValueError):
        care_anonymise_person(phone="abc")


def test_an_anonymised_record_cannot_come_back_be_corrected_or_raise_an_order(care):
    r = _off_roll(care, care.resident_a, days_ago=400)
    visit = Visit.objects.filter(resident=r).first()
    care_anonymise_expired(days=365)
    r.refresh_from_db()
    with pytest.raises(Conflict):
        resident_set_active(resident=r, actor=care.user("supervisor"), active=True)
    with pytest.raises(Conflict):
        resident_correct(
            resident=r, actor=care.user("supervisor"), kind=r.kind, name="王秀英", phone="", address="某处", notes=""
        )
    with pytest.raises(Conflict):
        visit_order_create(visit=visit, actor=care.user("grid_worker_a"), description="回访")


def test_the_page_of_an_anonymised_record_shows_nothing_personal_and_the_center_sees_the_system_row(client, care):
    r = _off_roll(care, care.resident_a, days_ago=400)
    care_anonymise_expired(days=365)
    client.force_login(care.user("supervisor"))
    body = client.get(reverse("care:resident", args=[r.pk])).content.decode()
    assert "（已匿名化）" in body and "匿名化" in body.split('id="accesses"')[1] and "系统" in body
    assert not any(p in body for p in PERSONAL)
    assert 'id="roll"' not in body and 'id="correct"' not in body
    assert client.get(reverse("care:resident_edit", args=[r.pk])).status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_anonymise_and_log_each_resident_once(care):
    _off_roll(care, care.resident_a, days_ago=400)
    _off_roll(care, care.resident_b, days_ago=400)
    barrier, runs = threading.Barrier(2), []

    def run():
        try:
            barrier.wait(10)
            runs.append(care_anonymise_expired(days=365))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(pk for r in runs for pk in r.residents) == sorted([care.resident_a.pk, care.resident_b.pk])
    rows = ResidentAccess.objects.filter(action=Access.ANONYMISE)
    assert sorted(rows.values_list("resident_id", flat=True)) == sorted([care.resident_a.pk, care.resident_b.pk])


def test_the_migration_dates_residents_already_off_the_roll_from_their_last_roll_change(care):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("care.migrations.0002_resident_retention_and_corrections")
    left = timezone.now() - timedelta(days=100)
    resident_set_active(resident=care.resident_a, actor=care.user("supervisor"), active=False, now=left)
    KeyResident.objects.update(inactive_since=None)  # as before the migration
    KeyResident.objects.filter(pk=care.resident_b.pk).update(active=False)  # off the roll with no log row
    migration.backfill_inactive_since(apps, None)
    care.resident_a.refresh_from_db(), care.resident_b.refresh_from_db()
    assert care.resident_a.inactive_since == left
    assert care.resident_b.inactive_since == care.resident_b.created_at


def test_an_anonymised_record_reads_in_english_too(client, care):
    r = _off_roll(care, care.resident_a, days_ago=400)
    care_anonymise_expired(days=365)
    client.force_login(care.user("supervisor"))
    body = client.get(reverse("care:resident", args=[r.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "(anonymised)" in body and "System" in body and "Anonymised" in body
