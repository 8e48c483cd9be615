"""Community first: a QR-poster submission goes straight to the community it was made in
(its queue and duty phone) when the channel is so routed, and the community's handler
sends upward what is beyond it (上报街道/转网格中心), on the page and through the API."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from community.models import ChannelRouting, CommunityContact, RoutingMode
from community.routing import channel_route, order_escalate
from community.tasks import channel_route as channel_route_task
from dispatch.models import Notification
from workorders.choices import Channel, Status
from workorders.errors import InvalidInput, NotAllowed
from workorders.models import Event, FollowUp, WorkOrder
from workorders.services import work_order_accept

pytestmark = pytest.mark.django_db


def drain() -> dict:
    return channel_route_task.apply().get()


def scan(district, description="小区门口垃圾满了没人清") -> WorkOrder:
    """A resident scans the community's 一号一码 poster and submits (no login)."""
    response = Client().post(
        f"/p/{district.community_a.code}/", {"description": description, "caller_phone": "13812345678"}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return WorkOrder.objects.latest("pk")


@pytest.fixture
def community_first(district):
    district.community_a.contact_phone = "010-62400188"
    district.community_a.save()
    return ChannelRouting.objects.create(channel=Channel.QR, mode=RoutingMode.COMMUNITY)


def test_a_scan_goes_straight_to_the_community_and_its_duty_phone(district, community_first):
    order = scan(district)
    assert order.status == Status.SUBMITTED
    assert FollowUp.objects.filter(order=order, task="community.channel_route", state="pending").exists()
    assert drain()["done"] == 1
    order.refresh_from_db()
    assert order.status == Status.ASSIGNED
    assert (order.current_unit, order.lead_unit) == (district.community_a, district.community_a)
    event = Event.objects.get(order=order, kind="community_dispatch")
    assert event.actor_id is None and event.actor_role == "system"
    assert event.payload["routing"]["reasons"] == [
        {"code": "channel_routing", "channel": "qr", "rule": community_first.pk}
    ]
    sms = Notification.objects.filter(order=order, event=event)
    addresses = set(sms.values_list("address", flat=True))
    assert "010-62400188" in addresses  # the duty phone
    handler_mobile = district.user("handler_community_a").staff_phone.mobile
    assert handler_mobile in addresses
    assert all(order.number in n.text for n in sms)
    # Timers run for the community: it must sign for it.
    assert order.deadlines.filter(stage="sign", state="open", unit=district.community_a).exists()
    # It is the community's work now, on its workbench; the operators have nothing to accept.
    client = Client()
    client.force_login(district.user("handler_community_a"))
    assert order.number in client.get("/unit/").content.decode()


def test_the_duty_phone_falls_back_to_the_committee_line_of_the_contact_card(district):
    ChannelRouting.objects.create(channel=Channel.QR, mode=RoutingMode.COMMUNITY)
    CommunityContact.objects.create(community=district.community_a, role="police", name="民警", phone="110")
    CommunityContact.objects.create(community=district.community_a, role="committee", name="居委会", phone="62400199")
    order = scan(district)
    drain()
    assert Notification.objects.filter(order=order, address="62400199").exists()
    assert not Notification.objects.filter(order=order, address="110").exists()


def test_by_default_a_scan_waits_for_the_center(district):
    order = scan(district)
    drain()
    order.refresh_from_db()
    assert order.status == Status.SUBMITTED and order.current_unit_id is None
    assert not Event.objects.filter(order=order, kind="community_dispatch").exists()
    ChannelRouting.objects.create(channel=Channel.QR, mode=RoutingMode.CENTER)  # said explicitly: the same
    assert channel_route(order_id=order.pk) is None


def test_an_operator_who_accepted_first_wins(district, community_first):
    order = scan(district)
    work_order_accept(order=order, actor=district.user("operator"), category=district.cat_territorial)
    assert drain()["done"] == 1
    order.refresh_from_db()
    assert order.status == Status.ACCEPTED
    assert not Event.objects.filter(order=order, kind="community_dispatch").exists()


def test_routing_twice_moves_the_order_once(district, community_first):
    order = scan(district)
    drain()
    assert channel_route(order_id=order.pk) is None
    assert Event.objects.filter(order=order, kind="community_dispatch").count() == 1


def routed(district) -> WorkOrder:
    ChannelRouting.objects.get_or_create(channel=Channel.QR, defaults={"mode": RoutingMode.COMMUNITY})
    order = scan(district, "楼顶防水坏了，整栋楼漏水，社区解决不了")
    drain()
    order.refresh_from_db()
    assert order.current_unit == district.community_a
    return order


def test_the_community_escalates_to_its_street_on_the_order_page(district):
    order = routed(district)
    client = Client()
    client.force_login(district.user("handler_community_a"))
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert "上报上级" in page and "上报街道" in page and "转网格中心" in page
    response = client.post(
        f"/orders/{order.number}/do/escalate/",
        {"expected_version": order.version, "to": "street", "note": "需住建部门维修基金，超出社区能力"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.ASSIGNED
    assert (order.current_unit, order.lead_unit) == (district.street_a, district.street_a)
    event = Event.objects.get(order=order, kind="escalate")
    assert event.note == "需住建部门维修基金，超出社区能力"
    assert event.payload["to"] == "street" and event.payload["from_unit"] == district.community_a.pk
    assert event.actor_unit == district.community_a
    street_handler = district.user("handler_a").staff_phone.mobile
    assert Notification.objects.filter(event=event, address=street_handler).exists()
    assert order.deadlines.filter(stage="sign", state="open", unit=district.street_a).exists()
    from workorders.replay import replay_mismatches

    assert replay_mismatches(WorkOrder.objects.filter(pk=order.pk)) == []  # the log explains where it went
    # The street signs for it like any order dispatched to it.
    street = Client()
    street.force_login(district.user("handler_a"))
    assert order.number in street.get("/unit/").content.decode()


def test_the_escalation_notice_is_sent_by_a_follow_up_not_a_message_from_the_request(
    district, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The page's escalation writes the street's notice and a follow-up to send it; the
    request sends no broker message (the web loads no Celery, hotline/outbox_relay.py):
    a worker's drain of dispatch.send_event_notifications sends it."""
    import dispatch.notify
    from dispatch.notify import SEND_FOLLOW_UP
    from dispatch.tasks import send_event_notifications

    order = routed(district)
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as in the running app

    def no_message(ids):
        raise AssertionError("the request queued a broker message")

    monkeypatch.setattr(dispatch.notify, "_queue_send", no_message)
    client = Client()
    client.force_login(district.user("handler_community_a"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/orders/{order.number}/do/escalate/",
            {"expected_version": order.version, "to": "street", "note": "超出社区能力"},
        )
    assert response.status_code == 302
    event = Event.objects.get(order=order, kind="escalate")
    notice = Notification.objects.get(event=event, address=district.user("handler_a").staff_phone.mobile)
    assert notice.state == "pending"
    assert FollowUp.objects.get(event=event, task=SEND_FOLLOW_UP).state == FollowUp.State.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        assert send_event_notifications.apply().get()["done"] == 1
    notice.refresh_from_db()
    assert notice.state == "sent"
    assert FollowUp.objects.get(event=event, task=SEND_FOLLOW_UP).state == FollowUp.State.DONE


def test_escalating_needs_a_reason_and_the_unit_holding_the_order(district):
    order = routed(district)
    client = Client()
    client.force_login(district.user("handler_community_a"))
    response = client.post(
        f"/orders/{order.number}/do/escalate/", {"expected_version": order.version, "to": "street", "note": ""}
    )
    assert response.status_code == 400
    with pytest.raises(NotAllowed):
        order_escalate(order=order, actor=district.user("handler_a"), to="center", note="不是我的")
    with pytest.raises(InvalidInput) as info:
        order_escalate(order=order, actor=district.user("handler_community_a"), to="district", note="?")
    assert "to" in info.value.errors
    assert WorkOrder.objects.get(pk=order.pk).current_unit == district.community_a


def test_a_street_cannot_escalate_to_a_street(district):
    order = routed(district)
    order = order_escalate(order=order, actor=district.user("handler_community_a"), to="street", note="上报")
    with pytest.raises(InvalidInput) as info:
        order_escalate(order=order, actor=district.user("handler_a"), to="street", note="再上报")
    assert "上报街道" in str(info.value.errors["to"])


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_escalates_to_the_center_with_the_version_checked(district):
    order = routed(district)
    handler = api(district.user("handler_community_a"))
    assert "escalate" in handler.get(f"/api/v1/orders/{order.number}").json()["allowed_actions"]
    url = f"/community/api/orders/{order.number}/escalate"
    stale = handler.post(url, {"to": "center", "note": "需全区协调"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 409
    assert handler.post(url, {"to": "center"}, format="json").status_code == 400
    done = handler.post(url, {"to": "center", "note": "需全区协调"}, format="json", HTTP_IF_MATCH=f'"{order.version}"')
    assert done.status_code == 200, done.content
    assert done.json()["unit"] == district.center.pk and done.json()["status"] == "assigned"
    event = Event.objects.get(order=order, kind="escalate")
    dispatcher = district.user("dispatcher").staff_phone.mobile
    assert Notification.objects.filter(event=event, address=dispatcher).exists()
    # The center's desk lists it with the 兜底 orders and sends it on like them.
    desk = Client()
    desk.force_login(district.user("dispatcher"))
    assert order.number in desk.get("/governance/returns/").content.decode()
    from workorders.services import work_order_center_redispatch

    sent = work_order_center_redispatch(
        order=order, actor=district.user("dispatcher"), unit=district.dept, note="转住建部门"
    )
    assert sent.current_unit == district.dept


def test_another_units_handler_gets_404_from_the_api(district):
    order = routed(district)
    response = api(district.user("handler_b")).post(
        f"/community/api/orders/{order.number}/escalate", {"to": "street", "note": "x"}, format="json"
    )
    assert response.status_code == 404
    assert WorkOrder.objects.get(pk=order.pk).current_unit == district.community_a


def test_the_community_handles_a_routed_scan_to_the_callback(district):
    from workorders import services as svc

    order = routed(district)
    h = district.user("handler_community_a")
    order = svc.work_order_sign(order=order, actor=h)
    order = svc.work_order_reply(order=order, actor=h, reply="已联系物业清运")
    order = svc.work_order_approve(order=order, actor=district.user("dispatcher"))
    assert order.status == Status.CALLBACK and order.lead_unit == district.community_a


def test_the_escalate_action_in_english(district):
    order = routed(district)
    client = Client()
    client.force_login(district.user("handler_community_a"))
    html = client.get(f"/orders/{order.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for text in (
        "Escalate",
        "Escalate to the street",
        "Escalate to the grid management center",
        "Reason for escalating",
    ):
        assert text in html


def test_a_captains_report_follows_the_captain_channels_own_setting(district):
    from community.models import Building, BuildingCaptain

    building = Building.objects.create(
        community=district.community_a, code="S-A-1-B3", name="3号楼", address="幸福里小区", lat=39.905, lng=116.315
    )
    captain = BuildingCaptain.objects.create(building=building, name="赵阿姨", phone="13700001234")
    ChannelRouting.objects.create(channel=Channel.QR, mode=RoutingMode.COMMUNITY)  # not the captains' channel
    Client().post(f"/community/captain/{captain.token}/", {"description": "门禁坏了", "caller_phone": "1"})
    drain()
    order = WorkOrder.objects.get(channel=Channel.CAPTAIN)
    assert order.status == Status.SUBMITTED
    ChannelRouting.objects.create(channel=Channel.CAPTAIN, mode=RoutingMode.COMMUNITY)
    Client().post(f"/community/captain/{captain.token}/", {"description": "电梯停了", "caller_phone": "1"})
    drain()
    routed = WorkOrder.objects.filter(channel=Channel.CAPTAIN).latest("pk")
    assert routed.status == Status.ASSIGNED and routed.current_unit == district.community_a
