"""One-click transfer to an emergency line: the order closes with a record, counted."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.tokens import api_token_create
from community.emergency import emergency_transfer_counts
from community.models import EmergencyTransfer
from workorders import services as svc
from workorders.choices import Status
from workorders.models import Event, WorkOrder


def api(user) -> APIClient:
    client = APIClient()
    _token, key = api_token_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def url(order) -> str:
    return f"/community/api/orders/{order.number}/transfer-emergency"


@pytest.fixture
def submitted(district):
    return svc.work_order_submit(
        channel="web", title="楼道里有烟味", description="3号楼楼道有浓烟", caller_phone="13812345678"
    )


@pytest.mark.django_db
def test_an_operator_transfers_to_119_and_the_order_closes_with_a_record(district, submitted):
    response = api(district.user("operator")).post(url(submitted), {"line": "119", "note": "疑似火情，已转119"})
    assert response.status_code == 200, response.content
    order = WorkOrder.objects.get(pk=submitted.pk)
    assert order.status == Status.CLOSED and order.closed_at is not None
    event = Event.objects.get(order=order, kind="transfer_emergency")
    assert event.payload["line"] == "119" and event.actor == district.user("operator")
    record = EmergencyTransfer.objects.get(order=order)
    assert (record.line, record.event, record.actor_unit) == ("119", event, district.center)
    assert emergency_transfer_counts() == {"110": 0, "119": 1, "120": 0, "122": 0}


@pytest.mark.django_db
def test_an_accepted_hotline_call_can_be_transferred_too(district, log_call):
    order = log_call()
    response = api(district.user("operator")).post(url(order), {"line": "122", "note": "交通事故"})
    assert response.status_code == 200
    assert emergency_transfer_counts()["122"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"), [({"line": "999", "note": "x"}, "line"), ({"line": "110", "note": " "}, "note")]
)
def test_bad_input_changes_nothing(district, submitted, body, field):
    response = api(district.user("operator")).post(url(submitted), body)
    assert response.status_code == 400 and field in response.json()["errors"]
    assert WorkOrder.objects.get(pk=submitted.pk).status == Status.SUBMITTED
    assert not EmergencyTransfer.objects.exists()


@pytest.mark.django_db
def test_a_dispatched_order_is_refused_with_its_status(district, log_call):
    order = log_call()
    svc.work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    response = api(district.user("operator")).post(url(order), {"line": "110", "note": "打架"})
    assert response.status_code == 409 and "待签收" in response.json()["message"]
    assert not EmergencyTransfer.objects.exists()


@pytest.mark.django_db
def test_only_operators_transfer_and_others_cannot_see_what_is_not_theirs(district, submitted, log_call):
    assert api(district.user("dispatcher")).post(url(submitted), {"line": "110", "note": "x"}).status_code == 403
    assert api(district.user("handler_b")).post(url(log_call()), {"line": "110", "note": "x"}).status_code == 404
    assert not EmergencyTransfer.objects.exists()


@pytest.mark.django_db
def test_a_stale_version_is_a_conflict(district, submitted):
    response = api(district.user("operator")).post(
        url(submitted), {"line": "110", "note": "x"}, HTTP_IF_MATCH=f'"{submitted.version + 5}"'
    )
    assert response.status_code == 409
    assert WorkOrder.objects.get(pk=submitted.pk).status == Status.SUBMITTED


@pytest.mark.django_db
def test_community_admin_pages_render(root_client, submitted, district):
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory
    from django.urls import reverse

    from community.emergency import emergency_transfer_create
    from community.monitor import monitor_source_create

    monitor_source_create(code="cam", name="摄像头", unit=district.street_a)
    emergency_transfer_create(order=submitted, actor=district.user("operator"), line="110", note="x")
    from workorders.services import work_order_intake

    work_order_intake(
        channel="hotline",
        actor=district.user("operator"),
        description="110转来：楼上噪音",
        caller_phone="13812345678",
        auto_dispatch=False,
        transferred_from="110",
        transfer_reference="JJ-1",
    )
    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.filter(is_superuser=True).get()
    for model in admin.site._registry:
        meta = model._meta
        if meta.app_label != "community":
            continue
        assert root_client.get(reverse(f"admin:community_{meta.model_name}_changelist")).status_code == 200
        # What the admin lists (a proxy admin may show only some rows of its model).
        obj = admin.site._registry[model].get_queryset(request).first()
        if obj is not None:
            change = reverse(f"admin:community_{meta.model_name}_change", args=[obj.pk])
            assert root_client.get(change).status_code == 200, change


@pytest.mark.django_db
def test_the_order_page_offers_the_transfer_to_operators_only(client, district, submitted):
    client.force_login(district.user("operator"))
    page = client.get(f"/orders/{submitted.number}/").content.decode()
    assert "转紧急热线" in page and "119 火警" in page
    client.force_login(district.user("dispatcher"))
    assert "转紧急热线" not in client.get(f"/orders/{submitted.number}/").content.decode()


@pytest.mark.django_db
def test_the_transfer_from_the_order_page_closes_the_order(client, district, submitted):
    client.force_login(district.user("operator"))
    act = f"/orders/{submitted.number}/do/transfer_emergency/"
    refused = client.post(act, {"expected_version": submitted.version, "line": "120", "note": ""})
    assert refused.status_code == 400 and WorkOrder.objects.get(pk=submitted.pk).status == Status.SUBMITTED
    done = client.post(act, {"expected_version": submitted.version, "line": "120", "note": "老人摔倒，已转120"})
    assert done.status_code == 302
    assert WorkOrder.objects.get(pk=submitted.pk).status == Status.CLOSED
    assert EmergencyTransfer.objects.get().line == "120"
    stale = client.post(act, {"expected_version": submitted.version, "line": "110", "note": "再次"})
    assert stale.status_code == 409 and EmergencyTransfer.objects.count() == 1
