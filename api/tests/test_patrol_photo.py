"""The patrol API takes the photo the patrol page takes (multipart), checked like every
upload, stored in the order's own transaction."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from attachments.models import Attachment
from workorders.models import WorkOrder

REPORT = {
    "channel": "patrol",
    "title": "井盖破损",
    "description": "幸福里小区东门井盖破损，有行人踩空风险。",
    "address": "幸福里小区东门",
    "lat": "39.905",
    "lng": "116.305",
    "category": "0101",
}


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "gray").save(buffer, "PNG")
    return SimpleUploadedFile("well.png", buffer.getvalue(), content_type="image/png")


def test_a_patrol_report_with_a_photo_is_stored_with_it(api, district):
    r = api("grid_worker_a").post("/api/v1/orders", {**REPORT, "photo": _png()}, format="multipart")
    assert r.status_code == 201, r.json()
    order = WorkOrder.objects.get(number=r.json()["number"])
    assert order.status == "submitted" and order.attachments.count() == 1


def test_a_file_that_is_not_a_picture_is_refused_and_nothing_is_written(api, district):
    fake = SimpleUploadedFile("x.png", b"MZ\x90\x00 not a picture", content_type="image/png")
    r = api("grid_worker_a").post("/api/v1/orders", {**REPORT, "photo": fake}, format="multipart")
    assert r.status_code == 400 and "photo" in r.json()["errors"]
    assert not WorkOrder.objects.exists() and not Attachment.objects.exists()


def test_without_a_photo_the_json_body_still_works(api, district):
    r = api("grid_worker_a").post("/api/v1/orders", {**REPORT, "lat": 39.905, "lng": 116.305}, format="json")
    assert r.status_code == 201, r.json()


def test_an_unknown_community_is_refused_without_repeating_the_value(api, district):
    r = api("grid_worker_a").post("/api/v1/orders", {**REPORT, "community": "13000000000"}, format="multipart")
    assert r.status_code == 400 and r.json()["errors"]["community"] == ["没有这个单位。"]
    assert "13000000000" not in r.content.decode()


def test_a_patrol_report_fixed_on_the_spot_closes_through_self_handle(api, district):
    body = {**REPORT, "photo": _png(), "self_handled": "true", "result": "已盖好井盖。"}
    r = api("grid_worker_a").post("/api/v1/orders", body, format="multipart")
    assert r.status_code == 201, r.json()
    order = WorkOrder.objects.get(number=r.json()["number"])
    assert order.status == "closed" and order.reply == "已盖好井盖。" and order.attachments.count() == 1
    assert list(order.events.order_by("seq").values_list("kind", flat=True)) == ["submit", "self_handle"]


def test_self_handling_without_photo_or_result_is_refused_whole(api, district):
    r = api("grid_worker_a").post("/api/v1/orders", {**REPORT, "self_handled": "true"}, format="multipart")
    assert r.status_code == 400 and {"photo", "result"} <= set(r.json()["errors"])
    assert not WorkOrder.objects.exists()


def test_only_the_reporter_role_may_self_handle(api, district):
    body = {**REPORT, "photo": _png(), "self_handled": "true", "result": "已处理。"}
    r = api("operator").post("/api/v1/orders", body, format="multipart")
    assert r.status_code == 403
    assert not WorkOrder.objects.exists() and not Attachment.objects.exists()
