"""The admin edits visit frequencies; a change goes through the service and reschedules."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from care.models import Kind, Outcome, VisitFrequency
from care.services import visit_record

pytestmark = pytest.mark.django_db


def test_a_frequency_changed_in_the_admin_reschedules_the_kinds_residents(client, care):
    r = care.resident_a  # 独居老人, weekly
    visit_record(
        resident=r,
        actor=care.user("grid_worker_a"),
        outcome=Outcome.MET,
        notes="ok",
        now=timezone.now() - timedelta(days=2),
    )
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    row = VisitFrequency.objects.get(kind=Kind.ALONE_ELDERLY)
    url = reverse("admin:care_visitfrequency_change", args=[row.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"kind": Kind.ALONE_ELDERLY, "interval_days": 1}).status_code == 302
    r.refresh_from_db()
    assert r.next_due == timezone.localdate() - timedelta(days=1)  # overdue under the new rule
    assert client.post(url, {"kind": Kind.ALONE_ELDERLY, "interval_days": 0}).status_code == 200  # refused
    assert VisitFrequency.objects.get(pk=row.pk).interval_days == 1
    changelist = client.get(reverse("admin:care_visitfrequency_changelist"))
    assert changelist.status_code == 200
