"""The kiosk by token (page, JSON, image) and the center's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from screens.models import Notice, Priority, Screen
from screens.services import notice_publish, screen_create, screen_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def screen(district):
    return screen_create(community=district.community_a, name="大厅")


def _notice(district, communities, **kw):
    now = timezone.now()
    fields = {
        "title": "防台防汛",
        "body": "台风今晚登陆，请收好阳台物品。",
        "community_ids": [c.pk for c in communities],
        "starts_at": now - timedelta(minutes=1),
        "ends_at": now + timedelta(hours=3),
        "priority": Priority.URGENT,
    } | kw
    return notice_publish(actor=district.user("supervisor"), **fields)


def test_kiosk_feed_by_token_shows_its_communitys_notices_and_checks_in(client, district, screen):
    s, token = screen
    _notice(district, [district.community_a])
    _notice(district, [district.community_b], title="乙一社区停水")
    response = client.get(f"/screens/k/{token}/feed.json")
    assert response.status_code == 200
    data = response.json()
    assert data["community"] == "甲一社区"
    assert [n["title"] for n in data["notices"]] == ["防台防汛"]
    assert set(data["figures"]) == {"volume", "resolution", "satisfaction"}
    s.refresh_from_db()
    assert s.last_seen_at is not None and timezone.now() - s.last_seen_at < timedelta(minutes=1)
    assert "no-cache" in response["Cache-Control"]


def test_kiosk_page_renders_without_login_and_without_inline_script(client, district, screen):
    _s, token = screen
    _notice(district, [district.community_a])
    response = client.get(f"/screens/k/{token}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "防台防汛" in html and "screens/kiosk.js" in html
    assert "<script>" not in html and "style=" not in html


@pytest.mark.parametrize("suffix", ["", "feed.json"])
def test_bad_or_revoked_token_is_404(client, district, screen, suffix):
    s, token = screen
    assert client.get(f"/screens/k/not-a-token/{suffix}").status_code == 404
    screen_revoke(screen=s)
    assert client.get(f"/screens/k/{token}/{suffix}").status_code == 404


def test_kiosk_figures_are_the_dashboards_and_carry_no_personal_data(client, district, screen, log_call):
    _s, token = screen
    from workorders.services import work_order_assign

    order = log_call(
        caller_name="王秀英", caller_phone="13912345678", description="幸福里小区门口有人摆摊，我住3号楼502"
    )
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.community_a)
    body = client.get(f"/screens/k/{token}/feed.json").content.decode()
    data = client.get(f"/screens/k/{token}/feed.json").json()
    from dashboards.selectors import Scope, summary

    now = timezone.now()
    start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    expected = summary(Scope(start=start, end=now + timedelta(seconds=1), unit=district.community_a))
    assert data["figures"]["volume"]["n"] == expected["volume"].numerator == 1
    for secret in ("王秀英", "13912345678", "1391234", "502", "摆摊"):
        assert secret not in body
    page = client.get(f"/screens/k/{token}/").content.decode()
    for secret in ("王秀英", "13912345678", "502", "摆摊"):
        assert secret not in page


def test_notice_image_served_only_to_a_screen_of_its_communities(client, district, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from hotline.testing import image_bytes

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path
    notice = _notice(district, [district.community_a], image=SimpleUploadedFile("a.png", image_bytes("PNG")))
    _a, token_a = screen_create(community=district.community_a, name="甲")
    _b, token_b = screen_create(community=district.community_b, name="乙")
    url = client.get(f"/screens/k/{token_a}/feed.json").json()["notices"][0]["image"]
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert client.get(f"/screens/k/{token_b}/image/{notice.pk}/").status_code == 404


def test_center_page_publishes_to_chosen_communities_and_flags_a_quiet_screen(login, district, screen):
    s, _token = screen
    Screen.objects.filter(pk=s.pk).update(last_seen_at=timezone.now() - timedelta(minutes=30))
    client = login("supervisor")
    page = client.get("/screens/")
    assert page.status_code == 200 and "失联" in page.content.decode()
    ends = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/screens/",
        {
            "title": "暴雨预警",
            "body": "请远离低洼处。",
            "priority": "30",
            "ends_at": ends,
            "communities": [district.community_a.pk, district.community_b.pk],
        },
    )
    assert response.status_code == 302
    notice = Notice.objects.get(title="暴雨预警")
    assert set(notice.communities.all()) == {district.community_a, district.community_b}


def test_center_page_keeps_input_on_error(login, district):
    client = login("supervisor")
    response = client.post("/screens/", {"title": "暴雨预警", "body": "请远离低洼处。", "priority": "30"})
    html = response.content.decode()
    assert response.status_code == 200 and "请填写结束时间" in html and "请远离低洼处。" in html
    assert not Notice.objects.exists()


def test_street_supervisor_cannot_publish_to_another_street_through_the_page(login, district):
    client = login("supervisor_a")
    page = client.get("/screens/").content.decode()
    assert "甲一社区" in page and "乙一社区" not in page
    ends = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/screens/",
        {"title": "越权", "body": "x", "priority": "10", "ends_at": ends, "communities": [district.community_b.pk]},
    )
    assert response.status_code == 200 and not Notice.objects.exists()


@pytest.mark.parametrize("user", ["handler_a", "operator", "grid_worker_a"])
def test_center_page_is_404_for_other_roles(login, user):
    assert login(user).get("/screens/").status_code == 404


def test_withdrawing_on_the_page_takes_the_notice_off_the_screen(login, district, screen):
    _s, token = screen
    notice = _notice(district, [district.community_a, district.community_b])
    client = login("supervisor_a")  # a street may not pull a notice that reaches another street
    assert client.post(f"/screens/notices/{notice.pk}/withdraw/").status_code == 404
    client = login("supervisor")
    assert client.post(f"/screens/notices/{notice.pk}/withdraw/").status_code == 302
    assert client.get(f"/screens/k/{token}/feed.json").json()["notices"] == []


def test_image_of_an_ended_notice_is_not_served(client, district, screen, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from hotline.testing import image_bytes

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path
    _s, token = screen
    notice = _notice(district, [district.community_a], image=SimpleUploadedFile("a.png", image_bytes("PNG")))
    assert client.get(f"/screens/k/{token}/image/{notice.pk}/").status_code == 200
    Notice.objects.filter(pk=notice.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"/screens/k/{token}/image/{notice.pk}/").status_code == 404
