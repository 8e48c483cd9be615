"""Every model is in the admin, its pages render, and the event log cannot be edited."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from workorders.models import Event

OUR_APPS = {"grids", "workorders", "dispatch"}


@pytest.fixture
def admin_client(client, district, log_call):
    log_call()  # at least one order and event to show
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


def test_every_core_model_is_registered():
    missing = [
        m.__name__
        for m in apps.get_models()
        if m._meta.app_label in OUR_APPS and m not in admin.site._registry and m.__name__ not in {"OrderCounter"}
    ]
    assert not missing


def test_changelists_and_change_pages_render(admin_client):
    for model in admin.site._registry:
        meta = model._meta
        if meta.app_label not in OUR_APPS:
            continue
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
        obj = model.objects.first()
        if obj is not None:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
            assert admin_client.get(url).status_code == 200, url


def test_event_log_is_read_only_in_the_admin(admin_client):
    event = Event.objects.first()
    url = reverse("admin:workorders_event_change", args=[event.pk])
    response = admin_client.post(url, {"note": "rewritten"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.note != "rewritten"
    assert (
        admin_client.post(reverse("admin:workorders_event_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    )
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
