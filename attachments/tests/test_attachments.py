import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from attachments.models import Attachment
from attachments.services import attachment_add, sniff_content_type
from workorders.errors import InvalidInput

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_png_is_stored_with_sniffed_type_and_server_chosen_name(log_call):
    order = log_call()
    att = attachment_add(order=order, upload=SimpleUploadedFile("../../etc/evil.php", PNG, "text/html"))
    assert att.content_type == "image/png"
    assert att.size == len(PNG)
    assert att.file.name.endswith(".png") and "evil" not in att.file.name
    assert att.file.read() == PNG


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
