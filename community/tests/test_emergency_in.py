"""Matters an emergency line hands to 12345 (国办发〔2022〕12号, the incoming half): the
order is a hotline call with a record of the line, its reference, the time and the
operator, the same through the service, the operator console and the API; counted per
line beside the transfers out."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.tokens import api_token_create
from community.emergency import emergency_transfer_counts, emergency_transfer_create, emergency_transfer_in_counts
from community.models import EmergencyTransferIn
from workorders.choices import Channel
from workorders.errors import InvalidInput
from workorders.models import Event, WorkOrder
from workorders.services import work_order_intake

CALL = {
    "caller_phone": "13812345678",
    "caller_name": "李四",
    "title": "楼上深夜噪音",
    "description": "幸福里3号楼楼上每晚十二点后装修噪音，110转来，非警情。",
}


def api(user) -> APIClient:
    client = APIClient()
    _token, key = api_token_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.mark.django_db
def test_the_intake_service_keeps_the_line_reference_time_and_operator(district):
    operator = district.user("operator")
    order = work_order_intake(
        channel=Channel.HOTLINE,
        actor=operator,
        auto_dispatch=False,
        transferred_from="110",
        transfer_reference=" JJ20261207-0042 ",
        **CALL,
    )
    record = EmergencyTransferIn.objects.get(order=order)
    event = Event.objects.get(order=order, kind="log_call")
    assert (record.line, record.reference, record.actor, record.event) == ("110", "JJ20261207-0042", operator, event)
    assert record.created_at == event.created_at and record.actor_unit_id == event.actor_unit_id
    assert order.channel == Channel.HOTLINE
    assert emergency_transfer_in_counts() == {"110": 1, "119": 0, "120": 0, "122": 0}


@pytest.mark.django_db
def test_an_ordinary_call_has_no_record(district):
    work_order_intake(channel=Channel.HOTLINE, actor=district.user("operator"), auto_dispatch=False, **CALL)
    assert not EmergencyTransferIn.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"transferred_from": "999"}, "transferred_from"),
        ({"transferred_from": "110", "transfer_reference": "x" * 41}, "transfer_reference"),
        ({"transfer_reference": "JJ1"}, "transferred_from"),
        ({"transferred_from": "110", "channel": Channel.WEB}, "transferred_from"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(district, extra, field):
    body = {"channel": Channel.HOTLINE, **CALL, **extra}
    with pytest.raises(InvalidInput) as exc:
        work_order_intake(actor=district.user("operator"), auto_dispatch=False, **body)
    assert field in exc.value.errors
    assert not WorkOrder.objects.exists() and not EmergencyTransferIn.objects.exists()


@pytest.mark.django_db
def test_counts_put_the_transfers_in_beside_the_transfers_out(district):
    operator = district.user("operator")
    for line in ("110", "110", "122"):
        work_order_intake(channel=Channel.HOTLINE, actor=operator, auto_dispatch=False, transferred_from=line, **CALL)
    # A matter handed in by 110 may still be handed on to 119: one record each way.
    handed_in = EmergencyTransferIn.objects.filter(line="122").get().order
    emergency_transfer_create(order=handed_in, actor=operator, line="119", note="现场起火")
    assert emergency_transfer_in_counts() == {"110": 2, "119": 0, "120": 0, "122": 1}
    assert emergency_transfer_counts() == {"110": 0, "119": 1, "120": 0, "122": 0}
    later = EmergencyTransferIn.objects.order_by("created_at").last().created_at
    assert sum(emergency_transfer_in_counts(until=later).values()) == 2


@pytest.mark.django_db
def test_the_console_logs_a_transferred_call_and_the_order_page_says_so(client, district):
    client.force_login(district.user("operator"))
    page = client.get("/ops/").content.decode()
    assert "来自紧急热线转办" in page and 'name="transferred_from"' in page
    form = {**CALL, "urgency": "normal", "request_type": "complaint"}
    response = client.post("/ops/", {**form, "transferred_from": "110", "transfer_reference": "JJ-77"})
    assert response.status_code == 302, response.content.decode()[:2000]
    record = EmergencyTransferIn.objects.get()
    assert (record.line, record.reference, record.actor) == ("110", "JJ-77", district.user("operator"))
    order_page = client.get(f"/orders/{record.order.number}/").content.decode()
    assert "由 110 转来（编号 JJ-77）" in order_page
    # An ordinary call's page says nothing of it.
    client.post("/ops/", form)
    plain = WorkOrder.objects.exclude(pk=record.order_id).get()
    assert "transferred-in" not in client.get(f"/orders/{plain.number}/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"transferred_from": "999"}, "transferred_from"),
        ({"transferred_from": "119", "transfer_reference": "x" * 41}, "transfer_reference"),
    ],
)
def test_the_console_refuses_bad_input_and_keeps_the_section_open(client, district, extra, field):
    client.force_login(district.user("operator"))
    response = client.post("/ops/", {**CALL, "urgency": "normal", "request_type": "complaint", **extra})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert '<details class="emergency-in" open>' in response.content.decode()
    assert not WorkOrder.objects.exists() and not EmergencyTransferIn.objects.exists()


@pytest.mark.django_db
def test_the_api_intake_records_the_transfer_and_refuses_bad_input(district):
    client = api(district.user("operator"))
    created = client.post(
        "/api/v1/orders", {**CALL, "transferred_from": "120", "transfer_reference": "120-889"}, format="json"
    )
    assert created.status_code == 201, created.content
    record = EmergencyTransferIn.objects.get()
    assert record.order.number == created.json()["number"] and (record.line, record.reference) == ("120", "120-889")
    assert created.json()["transferred_in"]["line"] == "120"
    shown = client.get(f"/api/v1/orders/{record.order.number}").json()["transferred_in"]
    assert (shown["line"], shown["reference"]) == ("120", "120-889") and shown["at"]
    for extra, field in (
        ({"transferred_from": "114"}, "transferred_from"),
        ({"transferred_from": "110", "transfer_reference": "x" * 41}, "transfer_reference"),
        ({"transferred_from": "110", "channel": "web"}, "transferred_from"),
    ):
        refused = client.post("/api/v1/orders", {**CALL, **extra}, format="json")
        assert refused.status_code == 400 and field in refused.json()["errors"], refused.content
    assert WorkOrder.objects.count() == 1 and EmergencyTransferIn.objects.count() == 1


@pytest.mark.django_db
def test_the_record_is_visible_to_staff_who_see_the_order_only(client, district):
    order = work_order_intake(
        channel=Channel.HOTLINE,
        actor=district.user("operator"),
        transferred_from="122",
        transfer_reference="JT-5",
        **CALL,
    )
    client.force_login(district.user("dispatcher"))
    assert "由 122 转来（编号 JT-5）" in client.get(f"/orders/{order.number}/").content.decode()
    client.force_login(district.user("handler_b"))
    assert client.get(f"/orders/{order.number}/").status_code == 404


def _row(html: str, line: str) -> str:
    start = html.index(f'<tr data-line="{line}">')
    return html[start : html.index("</tr>", start)]


@pytest.mark.django_db
def test_the_dashboard_counts_in_and_out_per_line_within_the_viewers_scope(client, district):
    from django.utils import timezone

    operator = district.user("operator")
    work_order_intake(channel=Channel.HOTLINE, actor=operator, auto_dispatch=False, transferred_from="110", **CALL)
    other = work_order_intake(channel=Channel.HOTLINE, actor=operator, auto_dispatch=False, **CALL)
    emergency_transfer_create(order=other, actor=operator, line="119", note="现场起火")
    day = timezone.localdate().isoformat()
    client.force_login(district.user("supervisor"))
    html = client.get(f"/dashboard/?start={day}&end={day}").content.decode()
    assert 'data-block="emergency-transfers"' in html and "转入" in html and "转出" in html
    assert 'data-figure="in">1<' in _row(html, "110") and 'data-figure="out">0<' in _row(html, "110")
    assert 'data-figure="in">0<' in _row(html, "119") and 'data-figure="out">1<' in _row(html, "119")
    # A street's supervisor counts only the orders they may see (these two are not placed in it).
    client.force_login(district.user("supervisor_a"))
    html = client.get(f"/dashboard/?start={day}&end={day}").content.decode()
    assert 'data-figure="in">0<' in _row(html, "110") and 'data-figure="out">0<' in _row(html, "119")


@pytest.mark.django_db
def test_the_order_page_and_console_say_it_in_english(client, district):
    order = work_order_intake(
        channel=Channel.HOTLINE,
        actor=district.user("operator"),
        transferred_from="119",
        transfer_reference="F-9",
        **CALL,
    )
    client.force_login(district.user("operator"))
    page = client.get(f"/orders/{order.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Handed over by 119 (ref. F-9)" in page
    console = client.get("/ops/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Handed over by an emergency line" in console and "No (called in directly)" in console
