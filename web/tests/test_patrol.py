"""Grid patrol (巡查上报): who may report, where the report lands, what the worker sees."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from grids.models import Membership, Role
from web.tests.test_public import png_bytes
from workorders.choices import Channel, Status, Urgency
from workorders.models import WorkOrder
from workorders.services import work_order_reject, work_order_submit


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _post(client, district, **overrides):
    data = {
        "category": district.cat_territorial.pk,
        "description": "幸福里小区东门有小贩占道摆摊",
        "address": "",
        "lat": "",
        "lng": "",
        "urgency": Urgency.NORMAL,
    }
    data.update(overrides)
    return client.post(reverse("web:patrol"), data)


def test_grid_worker_reports_with_position_photo_and_urgency(login, district):
    client = login("grid_worker_a")
    response = _post(
        client,
        district,
        lat="39.905",
        lng="116.315",  # inside grid A2, not the worker's own grid A1: the position wins
        urgency=Urgency.URGENT,
        photo=SimpleUploadedFile("p.png", png_bytes(), content_type="image/png"),
    )
    assert response.status_code == 302 and response.url == reverse("web:patrol_mine")
    order = WorkOrder.objects.get()
    assert order.channel == Channel.PATROL and order.status == Status.SUBMITTED
    assert order.created_by == district.user("grid_worker_a")
    assert order.category == district.cat_territorial and order.urgency == Urgency.URGENT
    assert order.grid == district.grid_a2 and order.street == district.street_a
    assert order.attachments.count() == 1
    assert order.events.get().kind == "submit"
    page = client.get(response.url).content.decode()
    assert order.number in page and "上报成功" in page


def test_without_a_position_the_report_lands_in_the_workers_own_grid(login, district):
    client = login("grid_worker_a")
    assert _post(client, district).status_code == 302
    order = WorkOrder.objects.get()
    assert order.grid == district.grid_a
    assert order.community == district.community_a and order.street == district.street_a


def test_an_address_alias_locates_the_report_when_there_is_no_position(login, district):
    client = login("grid_worker_a")
    assert _post(client, district, address="和平路88号门口").status_code == 302
    assert WorkOrder.objects.get().community == district.community_b


def test_the_page_names_the_fallback_grid_and_lists_the_categories(login, district):
    body = login("grid_worker_a").get(reverse("web:patrol")).content.decode()
    assert "按您的网格上报：甲一1号网格" in body
    assert "占道经营" in body and 'data-search="0101 占道经营 市容环境 摆摊 占道 小贩"' in body


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"description": ""}, "该字段是必填项"),
        ({"description": "   "}, "该字段是必填项"),
        ({"description": "长" * 2001}, "2000"),
        ({"category": ""}, "该字段是必填项"),
        ({"address": "址" * 256}, "255"),
        ({"lat": "91", "lng": "116.3"}, "90"),
    ],
)
def test_bad_input_answers_with_a_message_and_keeps_the_text(login, district, overrides, message):
    overrides.setdefault("address", "幸福里小区3号楼")
    response = _post(login("grid_worker_a"), district, **overrides)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    if overrides.get("description", "x").strip() and len(overrides.get("description", "")) < 100:
        assert "幸福里小区东门有小贩占道摆摊" in body or overrides["description"] in body
    if len(overrides["address"]) < 100:
        assert "幸福里小区3号楼" in body
    assert not WorkOrder.objects.exists()


def test_a_non_image_photo_is_refused_and_the_text_kept(login, district):
    response = _post(
        login("grid_worker_a"),
        district,
        address="幸福里小区3号楼",
        photo=SimpleUploadedFile("p.png", b"MZ\x90\x00 not an image", content_type="image/png"),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "只接受 JPEG、PNG、GIF 或 WebP 图片" in body
    assert "幸福里小区东门有小贩占道摆摊" in body and "幸福里小区3号楼" in body
    assert not WorkOrder.objects.exists()


@override_settings(HOTLINE_ATTACHMENT_MAX_BYTES=100)
def test_an_oversize_photo_is_refused(login, district):
    response = _post(login("grid_worker_a"), district, photo=SimpleUploadedFile("p.png", png_bytes() + b"\0" * 200))
    assert response.status_code == 400 and "文件不能超过" in response.content.decode()
    assert not WorkOrder.objects.exists()


@pytest.mark.parametrize("username", ["operator", "dispatcher", "supervisor", "handler_a", "handler_grid_a"])
def test_other_roles_cannot_open_or_post_the_patrol_pages(login, district, username):
    client = login(username)
    assert client.get(reverse("web:patrol")).status_code == 404
    assert client.get(reverse("web:patrol_mine")).status_code == 404
    assert _post(client, district).status_code == 404
    assert not WorkOrder.objects.exists()


def test_anonymous_is_sent_to_login(client, district):
    response = client.get(reverse("web:patrol"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_admin_may_open_the_pages_but_the_workflow_refuses_their_report(login, district):
    # The transition table lets grid workers and operators submit, not admins.
    client = login("admin")
    assert "只有网格员可以提交巡查上报" in client.get(reverse("web:patrol")).content.decode()
    assert client.get(reverse("web:patrol_mine")).status_code == 200
    response = _post(client, district, address="幸福里小区")
    assert response.status_code == 400
    body = response.content.decode()
    assert "您的角色不能「提交诉求」" in body and "幸福里小区东门有小贩占道摆摊" in body
    assert not WorkOrder.objects.exists()
    assert "只有网格员" not in login("grid_worker_a").get(reverse("web:patrol")).content.decode()


def test_my_reports_lists_only_my_patrol_orders_in_plain_words(login, district, log_call):
    other = district.user("handler_grid_a")
    Membership.objects.create(user=other, unit=district.grid_a2, role=Role.GRID_WORKER)
    _post(login("handler_grid_a"), district, description="别人的上报")
    log_call()  # a hotline order: not a patrol report
    client = login("grid_worker_a")
    _post(client, district, description="井盖缺失")
    mine = WorkOrder.objects.get(description="井盖缺失")
    work_order_reject(order=mine, actor=district.user("operator"), reason="重复")
    _post(client, district, description="路灯不亮")
    body = client.get(reverse("web:patrol_mine")).content.decode()
    assert "井盖缺失" in body and "路灯不亮" in body and "别人的上报" not in body
    assert "未予受理" in body and "已上报，等待话务员受理" in body
    assert body.count('class="card" data-number=') == 2


def test_my_reports_shows_the_latest_and_says_how_many_there_are(login, district, monkeypatch):
    from web.views import patrol

    monkeypatch.setattr(patrol, "MINE_LIMIT", 1)
    client = login("grid_worker_a")
    _post(client, district, description="第一条")
    _post(client, district, description="第二条")
    body = client.get(reverse("web:patrol_mine")).content.decode()
    assert "第二条" in body and "第一条" not in body and "显示最近 1 条，共 2 条" in body


def test_my_reports_shows_a_report_that_was_never_located(login, district):
    # The API takes patrol reports too, with no position and no fallback community.
    work_order_submit(
        channel=Channel.PATROL, actor=district.user("grid_worker_a"), title="井盖缺失", description="井盖缺失"
    )
    response = login("grid_worker_a").get(reverse("web:patrol_mine"))
    assert response.status_code == 200 and "井盖缺失" in response.content.decode()


def test_grid_worker_starts_on_the_patrol_page_and_has_the_links(login, district):
    client = login("grid_worker_a")
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:patrol")
    body = response.content.decode()
    assert f'href="{reverse("web:patrol_mine")}"' in body and "我的上报" in body
    assert "巡查上报" not in login("operator").get(reverse("web:ops")).content.decode()


def test_my_reports_in_english(login, district):
    client = login("grid_worker_a")
    _post(client, district)
    body = client.get(reverse("web:patrol_mine"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My reports" in body and "Reported, awaiting acceptance by an operator" in body
    body = client.get(reverse("web:patrol"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for text in ("Patrol report", "Problem category", "Description of the problem", "Photo of the scene", "Urgent"):
        assert text in body
    assert "Without a position, the report goes to your grid: 甲一1号网格" in body
