import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from attachments.models import Attachment
from hotline.testing import image_bytes
from workorders.models import WorkOrder
from workorders.services import work_order_approve, work_order_assign, work_order_reply, work_order_sign

PNG = image_bytes("PNG")
FORM = {"title": "路灯不亮", "description": "小区门口路灯坏了三天", "caller_phone": "13812345678"}


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


def test_resident_submits_with_photo_and_tracks(api, district):
    client = api()
    r = client.post("/api/v1/public/requests", {**FORM, "photo": SimpleUploadedFile("p.png", PNG)}, format="multipart")
    assert r.status_code == 201, r.json()
    body = r.json()
    order = WorkOrder.objects.get(number=body["number"])
    assert order.status == "submitted" and order.channel == "web"
    assert Attachment.objects.get(order=order).content_type == "image/png"
    assert "13812345678" not in r.content.decode()
    t = client.get("/api/v1/public/track", {"number": body["number"], "code": body["tracking_code"]})
    assert t.status_code == 200 and t.json()["status"] == "submitted" and t.json()["can_rate"] is False


def test_photo_that_is_not_an_image_writes_nothing(api, district):
    r = api().post(
        "/api/v1/public/requests", {**FORM, "photo": SimpleUploadedFile("p.png", b"MZ\x90\x00exe")}, format="multipart"
    )
    assert r.status_code == 400 and "photo" in r.json()["errors"]
    assert not WorkOrder.objects.exists() and not Attachment.objects.exists()


def test_oversize_photo_is_refused(api, district, settings):
    settings.HOTLINE_ATTACHMENT_MAX_BYTES = 16
    r = api().post("/api/v1/public/requests", {**FORM, "photo": SimpleUploadedFile("p.png", PNG)}, format="multipart")
    assert r.status_code == 400 and "photo" in r.json()["errors"]
    assert not WorkOrder.objects.exists()


def test_public_submit_requires_phone_and_refuses_staff_channels(api, district):
    r = api().post("/api/v1/public/requests", {**FORM, "caller_phone": ""}, format="json")
    assert r.status_code == 400 and "caller_phone" in r.json()["errors"]
    r = api().post("/api/v1/public/requests", {**FORM, "channel": "hotline"}, format="json")
    assert r.status_code == 400 and "channel" in r.json()["errors"]


def test_wrong_code_is_404_like_unknown_number(api, district):
    client = api()
    number = client.post("/api/v1/public/requests", FORM, format="json").json()["number"]
    assert client.get("/api/v1/public/track", {"number": number, "code": "WRONG1"}).status_code == 404
    assert client.get("/api/v1/public/track", {"number": "1", "code": "WRONG1"}).status_code == 404
    assert "code" in client.get("/api/v1/public/track", {"number": number}).json()["errors"]


def test_resident_rates_after_the_reply(api, log_call, district):
    order = log_call()
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    work_order_sign(order=order, actor=district.user("handler_a"))
    work_order_reply(order=order, actor=district.user("handler_a"), reply="已修复")
    work_order_approve(order=order, actor=district.user("dispatcher"))
    rate = {"number": order.number, "code": order.tracking_code, "resolution": "solved", "satisfaction": "satisfied"}
    r = api().post("/api/v1/public/rate", data=json.dumps(rate), content_type="application/json")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "closed" and r.json()["can_rate"] is False
    again = api().post("/api/v1/public/rate", data=json.dumps(rate), content_type="application/json")
    assert again.status_code == 400 and "number" in again.json()["errors"]


def test_rating_with_a_bad_satisfaction_names_the_field(api, district):
    bad = {"number": "1", "code": "X", "resolution": "solved", "satisfaction": "ecstatic"}
    r = api().post("/api/v1/public/rate", data=json.dumps(bad), content_type="application/json")
    assert r.status_code == 400 and "satisfaction" in r.json()["errors"]


def test_public_endpoints_are_throttled_per_client(api, district, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public": "2/min"}}
    from api.views import PublicThrottle

    PublicThrottle.THROTTLE_RATES = {"public": "2/min"}
    try:
        client = api()
        codes = [client.get("/api/v1/public/track", {"number": "1", "code": "X"}).status_code for _ in range(3)]
    finally:
        from rest_framework.settings import api_settings

        PublicThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes == [404, 404, 429]


def test_schema_and_docs_need_a_staff_login(api, district):
    anonymous = api()
    assert anonymous.get("/api/v1/schema/?format=json").status_code == 401
    assert anonymous.get("/api/v1/docs/").status_code == 401


def test_schema_and_offline_docs(api, district):
    client = api("handler_a")
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/orders/{number}/sign" in paths and "/api/v1/public/requests" in paths
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower() and "https://" not in html
    from django.contrib.staticfiles import finders

    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


def test_tracking_shows_title_and_reply_redacted(api, log_call, district):
    order = log_call(caller_name="李四", title="李四：3号楼2单元501漏水 13912345678")
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    work_order_sign(order=order, actor=district.user("handler_a"))
    work_order_reply(
        order=order, actor=district.user("handler_a"), reply="已联系李先生（010-87654321），京A12345 已挪走"
    )
    work_order_approve(order=order, actor=district.user("dispatcher"))
    body = api().get("/api/v1/public/track", {"number": order.number, "code": order.tracking_code}).json()
    assert body["title"] == "[姓名]：3号楼2单元[门牌]漏水 139****5678"
    assert body["reply"] == "已联系[姓名]（[电话]），[车牌] 已挪走"
