"""现场核查 over the API (issue 16): the same service as the page, multipart like the
patrol photo; approval of a category that requires it is refused until it is recorded."""

import json

import pytest

from api.tests.test_actions import (  # noqa: F401 (fixtures)
    act,
    assigned,  # noqa: F401
    in_progress,
)
from api.tests.test_patrol_photo import _png
from workorders.models import WorkOrder


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def requiring(district):
    district.cat_territorial.requires_site_check = True
    district.cat_territorial.save()


def _check(api, order, **fields):
    body = {"photo": _png(), "lat": "39.905", "lng": "116.305", "note": "已到现场", **fields}
    return api("handler_a").post(f"/api/v1/orders/{order.number}/site_check", body, format="multipart")


def test_approve_waits_for_a_site_check_made_through_the_api(api, requiring, in_progress):  # noqa: F811
    act(api, "handler_a", in_progress, "reply", {"reply": "已清理"})
    refused = act(api, "dispatcher", in_progress, "approve", {"note": ""}, expect=400)
    assert "site_check" in json.dumps(refused, ensure_ascii=False)
    act(api, "dispatcher", in_progress, "send_back", {"note": "请现场核查"})
    r = _check(api, in_progress)
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "in_progress"
    event = WorkOrder.objects.get(pk=in_progress.pk).events.get(kind="site_check")
    assert event.payload["inside_grid"] is True
    act(api, "handler_a", in_progress, "reply", {"reply": "已清理"})
    assert act(api, "dispatcher", in_progress, "approve", {"note": ""})["status"] == "callback"


def test_a_far_or_photo_less_check_is_refused_with_the_field_named(api, requiring, in_progress):  # noqa: F811
    far = _check(api, in_progress, lng="116.33")
    assert far.status_code == 400, far.json()
    assert far.json()["code"] == "invalid_input" and "超出 300 米" in far.json()["errors"]["lat"][0]
    no_photo = api("handler_a").post(
        f"/api/v1/orders/{in_progress.number}/site_check", {"lat": "39.905", "lng": "116.305"}, format="multipart"
    )
    assert no_photo.status_code == 400 and "photo" in json.dumps(no_photo.json())
    assert not WorkOrder.objects.get(pk=in_progress.pk).events.filter(kind="site_check").exists()
