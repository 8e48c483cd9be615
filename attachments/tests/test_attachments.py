import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from attachments.models import Attachment
from attachments.services import attachment_add, attachment_check, sniff_content_type
from hotline.testing import image_bytes, photos_process
from workorders.errors import InvalidInput
from workorders.models import WorkOrder

PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_png_is_stored_with_sniffed_type_and_server_chosen_name(log_call):
    order = log_call()
    att = attachment_add(order=order, upload=SimpleUploadedFile("../../etc/evil.php", PNG, "text/html"))
    assert att.content_type == "image/png"
    assert "evil" not in att.file.name and "." not in att.file.name.rsplit("/", 1)[1]  # raw: no extension
    photos_process()
    att.refresh_from_db()
    assert att.file.name.endswith(".png") and "evil" not in att.file.name
    stored = att.file.read()
    assert att.size == len(stored) and stored.startswith(b"\x89PNG")


def test_type_is_decided_by_bytes_not_by_name(log_call):
    order = log_call()
    with pytest.raises(InvalidInput) as exc:
        attachment_add(order=order, upload=SimpleUploadedFile("photo.jpg", b"<script>x</script>", "image/jpeg"))
    assert "file" in exc.value.errors
    assert not Attachment.objects.exists()


def test_oversize_upload_is_refused_naming_the_field(log_call, settings):
    settings.HOTLINE_ATTACHMENT_MAX_BYTES = 32
    order = log_call()
    with pytest.raises(InvalidInput) as exc:
        attachment_add(order=order, upload=SimpleUploadedFile("a.jpg", JPEG, "image/jpeg"), field="photo")
    assert list(exc.value.errors) == ["photo"]
    assert not Attachment.objects.exists()


def test_empty_upload_is_refused(log_call):
    with pytest.raises(InvalidInput):
        attachment_add(order=log_call(), upload=SimpleUploadedFile("a.png", b"", "image/png"))


@pytest.mark.parametrize(
    "head,expected",
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (b"GIF89a" + b"\x00" * 10, "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7", None),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
    ],
)
def test_sniff_content_type(head, expected):
    assert sniff_content_type(head) == expected


def _exif_with_gps_and_rotation():
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; show rotated 90°
    exif[0x0110] = "Resident's phone"  # Model
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 18.0), 3: "E", 4: (116.0, 18.0, 0.0)}  # GPS: where it was taken
    return exif


@pytest.mark.parametrize("fmt,content_type", [("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("PNG", "image/png")])
def test_a_photo_is_stored_without_its_metadata_and_upright(log_call, fmt, content_type):
    """The position where a photo was taken (often the resident's home), the device and
    the rest of EXIF never reach storage; the orientation is applied to the pixels."""
    import io

    from PIL import Image

    sent = image_bytes(fmt, size=(40, 20), exif=_exif_with_gps_and_rotation())
    with Image.open(io.BytesIO(sent)) as original:
        assert original.getexif().get(0x8825) is not None  # the test photo does carry GPS
    att = attachment_add(order=log_call(), upload=SimpleUploadedFile("p", sent))
    assert att.content_type == content_type
    photos_process()
    att.refresh_from_db()
    assert att.state == Attachment.State.READY
    stored = att.file.read()
    assert b"Resident's phone" not in stored
    with Image.open(io.BytesIO(stored)) as kept:
        assert not kept.getexif()  # no EXIF at all
        assert kept.size == (20, 40)  # turned upright


def test_a_file_that_only_starts_like_an_image_is_refused(log_call):
    fake = b"\xff\xd8\xff\xe0" + b"<?php system($_GET['c']); ?>" * 4
    with pytest.raises(InvalidInput) as exc:
        attachment_add(order=log_call(), upload=SimpleUploadedFile("a.jpg", fake, "image/jpeg"), field="photo")
    assert list(exc.value.errors) == ["photo"]
    assert not Attachment.objects.exists()


def test_an_image_of_too_many_pixels_is_refused(log_call, settings):
    settings.HOTLINE_MAX_PIXELS_PUBLIC = 100
    with pytest.raises(InvalidInput) as exc:
        attachment_add(order=log_call(), upload=SimpleUploadedFile("a.png", image_bytes(size=(20, 20))), field="photo")
    assert "photo" in exc.value.errors


def _png_claiming(width: int, height: int) -> bytes:
    """A real, valid 1-bit PNG of width×height: all zeros, so it compresses to a few KB
    and would decode to a full width×height image."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (width + 7) // 8)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


def test_a_pixel_bomb_is_refused_from_its_header_without_decoding(district, monkeypatch):
    import time

    from PIL import Image
    from rest_framework.test import APIClient

    bomb = _png_claiming(7000, 7000)  # 49 megapixels in a few KB
    assert len(bomb) < 200_000
    decoded = []
    real_load = Image.Image.load
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self.size) or real_load(self))
    form = {"title": "x", "description": "路灯不亮", "caller_phone": "13812345678"}
    r = APIClient().post(
        "/api/v1/public/requests", {**form, "photo": SimpleUploadedFile("p.png", bomb)}, format="multipart"
    )
    assert r.status_code == 400 and "7000×7000" in r.json()["errors"]["photo"][0]
    assert not Attachment.objects.exists() and not WorkOrder.objects.exists()
    started = time.perf_counter()
    with pytest.raises(InvalidInput):
        attachment_check(upload=SimpleUploadedFile("p.png", bomb), field="photo")
    # Decoding it takes seconds and ~50 MB; reading the header, milliseconds (loose bound: shared CI).
    assert time.perf_counter() - started < 2.0
    assert decoded == []


def test_staff_may_send_larger_photos_than_residents(log_call, settings):
    settings.HOTLINE_MAX_PIXELS_PUBLIC, settings.HOTLINE_MAX_PIXELS_STAFF = 100, 1000
    photo = image_bytes(size=(20, 20))  # 400 pixels
    with pytest.raises(InvalidInput):
        attachment_add(order=log_call(), upload=SimpleUploadedFile("a.png", photo), public=True)
    assert attachment_add(order=log_call(), upload=SimpleUploadedFile("a.png", photo), public=False).pk
