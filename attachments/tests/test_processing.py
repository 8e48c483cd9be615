"""Photos off the request path: an upload is checked from its header, stored as sent and
``processing``; the worker (an outbox row written in the upload's transaction) decodes
and re-encodes it. The bytes as sent are never served to anyone."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, ImageFile
from rest_framework.test import APIClient

from attachments.models import Attachment
from attachments.services import PROCESS_TASK, attachment_add
from attachments.tests.test_attachments import _exif_with_gps_and_rotation, _png_claiming
from hotline.testing import image_bytes, photos_process
from workorders.models import FollowUp, WorkOrder
from workorders.outbox import follow_ups_due

PNG = image_bytes("PNG", size=(8, 8))


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def no_decoding(monkeypatch):
    """Any pixel decoding in this process fails the test (the request path's promise)."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("a photo was decoded")

    monkeypatch.setattr(Image, "_getdecoder", refuse)
    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    return calls


def _corrupt_png() -> bytes:
    """A PNG whose header and chunk checksums are right (it passes the request's check)
    but whose pixel data is not zlib: only decoding finds out."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"not zlib at all" * 4) + chunk(b"IEND", b"")


def _gps_jpeg() -> bytes:
    return image_bytes("JPEG", size=(40, 20), exif=_exif_with_gps_and_rotation())


def test_an_upload_is_stored_as_sent_and_queued_without_decoding(log_call, no_decoding):
    sent = _gps_jpeg()
    order = log_call()
    att = attachment_add(order=order, upload=SimpleUploadedFile("p.jpg", sent))
    assert att.state == Attachment.State.PROCESSING and att.file.read() == sent and no_decoding == []
    row = FollowUp.objects.get(task=PROCESS_TASK)
    assert row.order_id == order.pk and row.state == FollowUp.State.PENDING


def test_the_worker_re_encodes_and_the_bytes_as_sent_are_deleted(log_call, django_capture_on_commit_callbacks):
    order = log_call()
    att = attachment_add(order=order, upload=SimpleUploadedFile("p.jpg", _gps_jpeg()))
    raw_name, storage = att.file.name, att.file.storage
    with django_capture_on_commit_callbacks(execute=True):
        assert photos_process()["done"] == 1
    att.refresh_from_db()
    assert att.state == Attachment.State.READY and att.file.name.endswith(".jpg") and att.processed_at
    with Image.open(io.BytesIO(att.file.read())) as kept:
        assert not kept.getexif() and kept.size == (20, 40)
    assert not storage.exists(raw_name)
    assert FollowUp.objects.get(task=PROCESS_TASK).state == FollowUp.State.DONE
    assert photos_process()["done"] == 0  # exactly once: nothing left to run


def test_a_file_that_cannot_be_decoded_is_rejected_with_a_reason_and_the_order_kept(
    log_call, django_capture_on_commit_callbacks
):
    order = log_call()
    bad = attachment_add(order=order, upload=SimpleUploadedFile("p.png", _corrupt_png()))
    good = attachment_add(order=order, upload=SimpleUploadedFile("q.png", PNG))
    raw_name, storage = bad.file.name, bad.file.storage
    with django_capture_on_commit_callbacks(execute=True):
        photos_process()
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.state == Attachment.State.REJECTED and bad.rejected_reason == Attachment.Reason.UNREADABLE
    assert not bad.file and not storage.exists(raw_name)
    assert good.state == Attachment.State.READY
    assert WorkOrder.objects.get(pk=order.pk).title == order.title
    assert FollowUp.objects.get(task=PROCESS_TASK).state == FollowUp.State.DONE  # not retried 8 times


def test_a_photo_added_after_the_row_ran_re_arms_it(log_call):
    order = log_call()
    attachment_add(order=order, upload=SimpleUploadedFile("p.png", PNG))
    photos_process()
    later = attachment_add(order=order, upload=SimpleUploadedFile("q.png", PNG))
    assert FollowUp.objects.get(task=PROCESS_TASK).state == FollowUp.State.PENDING
    photos_process()
    later.refresh_from_db()
    assert later.state == Attachment.State.READY


def test_a_lost_nudge_is_swept(log_call):
    from datetime import timedelta

    from django.utils import timezone

    attachment_add(order=log_call(), upload=SimpleUploadedFile("p.png", PNG))
    assert PROCESS_TASK in follow_ups_due(now=timezone.now() + timedelta(minutes=1))


def test_nothing_is_written_when_the_order_is_rolled_back(log_call):
    from django.db import transaction

    order = log_call()
    with pytest.raises(RuntimeError), transaction.atomic():
        attachment_add(order=order, upload=SimpleUploadedFile("p.png", PNG))
        raise RuntimeError
    assert not Attachment.objects.exists() and not FollowUp.objects.filter(task=PROCESS_TASK).exists()


# --- every caller: no decoding on the request, nothing served until ready -----------


def _submit_web(district):
    return Client().post(
        f"/p/{district.community_b.code}/",
        {
            "description": "楼道灯坏了一个月",
            "caller_phone": "13600001111",
            "photo": SimpleUploadedFile("a.jpg", _gps_jpeg()),
        },
    )


def _submit_patrol(district):
    client = Client()
    client.force_login(district.user("grid_worker_a"))
    return client.post(
        "/patrol/",
        {
            "category": district.cat_territorial.pk,
            "description": "幸福里小区东门有小贩占道摆摊",
            "urgency": "normal",
            "photo": SimpleUploadedFile("p.jpg", _gps_jpeg()),
        },
    )


def _submit_api(district):
    form = {"title": "路灯不亮", "description": "小区门口路灯坏了三天", "caller_phone": "13812345678"}
    return APIClient().post(
        "/api/v1/public/requests", {**form, "photo": SimpleUploadedFile("p.jpg", _gps_jpeg())}, format="multipart"
    )


def _submit_open311(district):
    from open311.services import open311_api_key_create

    key = open311_api_key_create(name="邻市 311", user=district.user("grid_worker_a"))[1]
    where = {"service_code": "0101", "lat": "39.905", "long": "116.305", "description": "占道摆摊"}
    return Client().post(
        "/open311/v2/requests.json", {"api_key": key, **where, "media": SimpleUploadedFile("p.jpg", _gps_jpeg())}
    )


CALLERS = {"web": _submit_web, "patrol": _submit_patrol, "api": _submit_api, "open311": _submit_open311}


@pytest.mark.parametrize("caller", list(CALLERS))
def test_no_caller_decodes_on_the_request_and_none_serves_before_ready(caller, district, no_decoding, monkeypatch):
    response = CALLERS[caller](district)
    assert response.status_code in (201, 302), response.content[:500]
    assert no_decoding == []
    attachment = Attachment.objects.get()
    assert attachment.state == Attachment.State.PROCESSING
    order = attachment.order

    staff = Client()
    staff.force_login(district.user("operator"))
    page = staff.get(f"/orders/{order.number}/").content.decode()
    assert "处理中" in page and f"/attachments/{attachment.pk}/" not in page
    assert staff.get(f"/attachments/{attachment.pk}/").status_code == 404
    api = APIClient()
    api.force_authenticate(district.user("operator"))
    listed = api.get(f"/api/v1/orders/{order.number}/attachments").json()
    assert [(a["state"], a["url"]) for a in listed] == [("processing", None)]
    assert api.get(f"/api/v1/orders/{order.number}/attachments/{attachment.pk}").status_code == 404

    monkeypatch.undo()  # the worker decodes
    photos_process()
    assert staff.get(f"/attachments/{attachment.pk}/").status_code == 200
    assert api.get(f"/api/v1/orders/{order.number}/attachments").json()[0]["state"] == "ready"
    body = b"".join(api.get(f"/api/v1/orders/{order.number}/attachments/{attachment.pk}").streaming_content)
    assert b"Resident's phone" not in body


def test_a_rejected_photo_is_shown_with_its_reason(district, log_call):
    order = log_call()
    attachment_add(order=order, upload=SimpleUploadedFile("p.png", _corrupt_png()))
    photos_process()
    staff = Client()
    staff.force_login(district.user("operator"))
    assert "已拒收（图片已损坏或无法读取）" in staff.get(f"/orders/{order.number}/").content.decode()


def test_the_pixel_bomb_and_big_photos_never_reach_the_decoder(district, no_decoding):
    """The request's cost is the header, whatever the photo claims: the bomb is refused
    and a 12-megapixel photo accepted, neither decoded (the burst with real processes is
    in test_processing_workers.py)."""
    client = APIClient()
    form = {"title": "x", "description": "路灯不亮", "caller_phone": "13812345678"}
    big = image_bytes("JPEG", size=(4000, 3000))
    bomb = _png_claiming(7000, 7000)
    answers = [
        client.post(
            "/api/v1/public/requests", {**form, "photo": SimpleUploadedFile("p", photo)}, format="multipart"
        ).status_code
        for photo in (bomb, big, bomb, big)
    ]
    assert answers == [400, 201, 400, 201] and no_decoding == []
    assert set(Attachment.objects.values_list("state", flat=True)) == {"processing"}
