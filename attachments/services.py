"""Attachments: photos sent with an order. Type is decided by the file's first bytes,
never by the name or the client's Content-Type, both of which the sender controls."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attachments.models import EXTENSIONS, Attachment
from workorders.errors import InvalidInput
from workorders.models import Event, WorkOrder
from workorders.outbox import follow_up_request

# (content type, prefix test) for the image formats a phone camera or browser produces.
_SIGNATURES: tuple[tuple[str, object], ...] = (
    ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/gif", lambda head: head[:6] in (b"GIF87a", b"GIF89a")),
    ("image/webp", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
)


# Pixels a photo may decode to: a 143 KB PNG can claim 49 megapixels (seconds of CPU and
# ~900 MB per upload to decode). The size is read from the header by Image.open, which is
# lazy, and refused before anything is decoded. A phone camera makes 12–16 MP; residents
# post anonymously, so their cap is lower than staff's.
MAX_PIXELS_PUBLIC = 16_000_000
MAX_PIXELS_STAFF = 24_000_000


def max_pixels(*, public: bool) -> int:
    if public:
        return settings.HOTLINE_MAX_PIXELS_PUBLIC
    return settings.HOTLINE_MAX_PIXELS_STAFF


def max_bytes() -> int:
    return settings.HOTLINE_ATTACHMENT_MAX_BYTES


def sniff_content_type(head: bytes) -> str | None:
    """The image type whose magic bytes start ``head``, or None."""
    for content_type, matches in _SIGNATURES:
        if matches(head):
            return content_type
    return None


def attachment_check(*, upload: UploadedFile, field: str = "file", public: bool = True) -> str:
    """Validate an upload without saving it; returns the sniffed content type.
    ``public``: sent by a resident without an account (the lower pixel cap).

    Separate from attachment_add so that a form can refuse a bad photo before it
    creates the order (nothing half-written)."""
    limit = max_bytes()
    if upload.size is None or upload.size == 0:
        raise InvalidInput({field: _("文件为空。")})
    if upload.size > limit:
        raise InvalidInput(
            {
                field: _("文件不能超过 %(mb).1f MB（现为 %(size).1f MB）。")
                % {"mb": limit / 2**20, "size": upload.size / 2**20}
            }
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise InvalidInput({field: _("只接受 JPEG、PNG、GIF 或 WebP 图片。")})
    limit_pixels = max_pixels(public=public)
    from PIL import Image  # only in the processes that take photos (issue 14)

    try:
        with Image.open(upload) as image:  # reads the header only
            if image.width * image.height > limit_pixels:
                raise InvalidInput(
                    {
                        field: _("图片尺寸过大：%(w)d×%(h)d，最多 %(mp)s 百万像素。")
                        % {"w": image.width, "h": image.height, "mp": f"{limit_pixels / 10**6:g}"}
                    }
                )
            image.verify()  # checks the chunks' structure and checksums; decodes no pixels
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput({field: _("图片已损坏或无法读取。")}) from exc
    finally:
        upload.seek(0)
    return content_type


# The outbox task (workorders/outbox.py) whose worker re-encodes waiting photos.
PROCESS_TASK = "attachments.process"


def attachment_add(
    *, order: WorkOrder, upload: UploadedFile, field: str = "file", public: bool = True, now: datetime | None = None
) -> Attachment:
    """Store ``upload`` on ``order`` after checking its type by magic bytes, its size and
    its pixel count (from the header). Raises InvalidInput naming ``field``.

    Nothing is decoded here: a photo decodes to width × height × 3 bytes (48 MB for a
    16 MP phone photo) and takes CPU seconds, which eight uploads at once must not cost
    the web workers. The bytes are stored as sent and the attachment is ``processing``;
    an outbox row written in the caller's transaction has a worker re-encode it
    (attachments/processing.py). Until then it is never served to anyone."""
    content_type = attachment_check(upload=upload, field=field, public=public)
    now = now or timezone.now()
    attachment = Attachment(order=order, content_type=content_type, size=upload.size, uploaded_at=now)
    upload.seek(0)
    attachment.file.save("upload", upload, save=False)  # streamed to storage in chunks
    try:
        with transaction.atomic():
            attachment.save()
            event_id = Event.objects.filter(order_id=order.pk).order_by("-pk").values_list("pk", flat=True).first()
            if event_id is None:
                raise ValueError(f"order {order.pk} has no event to attach the photo's processing to")
            follow_up_request(task=PROCESS_TASK, order_id=order.pk, event_id=event_id, now=now)
    except Exception:
        attachment.file.delete(save=False)  # no orphan file when the row is not written
        raise
    return attachment


def attachment_download_name(attachment: Attachment, *, number: str) -> str:
    """The name a download is offered under: the order number and the attachment's id,
    never the client's file name (not stored: it may carry a resident's name) nor the
    storage path."""
    return f"{number}-{attachment.pk}{EXTENSIONS.get(attachment.content_type, '')}"
