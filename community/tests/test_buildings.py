"""一楼一码 and 楼长: reports placed at a building; the captains' own channel, counted."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image  # noqa: F401 - pdf_images hands back PIL images

from community.models import Building, BuildingCaptain
from web.tests.test_poster_qr import decoded_urls, pdf_images
from workorders.choices import Channel
from workorders.models import WorkOrder


@pytest.fixture
def building(district):
    # In grid A2 (116.31–116.32), away from the community's other grid.
    return Building.objects.create(
        community=district.community_a, code="S-A-1-B3", name="3号楼", address="幸福里小区", lat=39.905, lng=116.315
    )


@pytest.fixture
def captain(building):
    return BuildingCaptain.objects.create(building=building, name="赵阿姨", phone="13700001234")


@pytest.mark.django_db
def test_the_building_poster_scans_to_the_buildings_form(client, district, building):
    client.force_login(district.user("grid_worker_a"))
    response = client.get("/community/b/S-A-1-B3/poster.pdf")
    assert response.status_code == 200
    (url,) = [u for img in pdf_images(response.content) for u in decoded_urls(img)]
    assert url == "http://testserver/community/b/S-A-1-B3/"
    page = Client().get(url.removeprefix("http://testserver"))
    assert page.status_code == 200 and "3号楼" in page.content.decode()


@pytest.mark.django_db
def test_a_residents_report_is_placed_at_the_building(district, building):
    response = Client().post(
        "/community/b/S-A-1-B3/", {"description": "楼道灯坏了\n晚上很黑", "caller_phone": "13812345678"}
    )
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.channel == Channel.QR and order.address == "幸福里小区 3号楼"
    assert (order.community, order.grid) == (district.community_a, district.grid_a2)
    assert order.title == "楼道灯坏了"


@pytest.mark.django_db
def test_a_captains_link_reports_as_the_captain_in_their_own_channel(client, district, captain):
    url = f"/community/captain/{captain.token}/"
    page = Client().get(url).content.decode()
    assert "赵阿姨" in page and "3号楼" in page
    response = Client().post(url, {"description": "3单元门禁坏了", "caller_phone": "13900000000"})
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.channel == Channel.CAPTAIN
    assert (order.caller_name, order.caller_phone) == ("赵阿姨", "13700001234")  # not what the form said
    client.force_login(district.user("supervisor"))
    from django.utils import timezone

    day = timezone.localdate().isoformat()
    html = client.get(f"/dashboard/?start={day}&end={day}").content.decode()
    assert 'data-figure="captain">1<' in html


@pytest.mark.django_db
def test_unknown_or_stopped_links_are_not_found(captain):
    assert Client().get("/community/captain/not-a-token/").status_code == 404
    captain.is_active = False
    captain.save()
    assert Client().get(f"/community/captain/{captain.token}/").status_code == 404
    assert Client().get("/community/b/no-such-building/").status_code == 404


@pytest.mark.django_db
def test_bad_input_keeps_the_form_and_saves_nothing(building):
    response = Client().post("/community/b/S-A-1-B3/", {"description": "", "caller_phone": "12"})
    assert response.status_code == 400 and not WorkOrder.objects.exists()
    bad_photo = io.BytesIO(b"not an image")
    bad_photo.name = "x.jpg"
    response = Client().post(
        "/community/b/S-A-1-B3/", {"description": "灯坏了", "caller_phone": "13812345678", "photo": bad_photo}
    )
    assert response.status_code == 400 and not WorkOrder.objects.exists()
