import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from attachments.models import Attachment
from attachments.services import attachment_add, sniff_content_type
from hotline.testing import image_bytes
from workorders.errors import InvalidInput

PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_png_is_stored_with_sniffed_type_and_server_chosen_name(log_call):
    order = log_call()
    att = attachment_add(order=order, upload=SimpleUploadedFile("../../etc/evil.php", PNG, "text/html"))
    assert att.content_type == "image/png"
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


def test_an_image_of_too_many_pixels_is_refused(log_call, monkeypatch):
    from attachments import services

    monkeypatch.setattr(services, "MAX_PIXELS", 100)
    with pytest.raises(InvalidInput) as exc:
        attachment_add(order=log_call(), upload=SimpleUploadedFile("a.png", image_bytes(size=(20, 20))), field="photo")
    assert "photo" in exc.value.errors
