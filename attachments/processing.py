"""Photos off the request path: the worker's side of attachment_add.

The outbox row ``attachments.process`` (one per order event, re-armed by each upload)
runs ``attachments_process_waiting`` inside the row's transaction: every photo of the
order still ``processing`` is decoded, its EXIF orientation applied to the pixels, and
encoded again without metadata, then marked ``ready`` — or ``rejected`` with a reason
if it cannot be decoded. The row is marked done in that same transaction, so a worker
killed mid-way leaves the photo ``processing`` and the row pending for the next one.
Files are not transactional: the raw bytes are deleted only after the commit, and a
re-encoded file written by a run that was then killed is an orphan, never served."""

from __future__ import annotations

import logging
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from attachments.models import Attachment

logger = logging.getLogger(__name__)


def _without_metadata(raw, content_type: str) -> bytes:
    """The photo as stored: decoded and encoded again with no metadata. A phone's photo
    carries EXIF — the GPS position where it was taken (often the resident's home),
    the device, the time — which handlers and any later publication must not get; and
    a file that only starts like an image cannot survive being re-encoded. The EXIF
    orientation is applied to the pixels first, so the photo still stands upright.
    GIFs (no EXIF; maybe animated) are kept as sent."""
    # Pillow loads in the worker that processes photos, on its first one (issue 14).
    from PIL import Image, ImageOps

    if content_type == "image/gif":
        return raw.read()
    with Image.open(raw) as image:
        # The request checked the header against the caller's cap; check again against
        # the highest cap before decoding anything (a row written by an older release).
        if image.width * image.height > settings.HOTLINE_MAX_PIXELS_STAFF:
            raise _TooLarge
        upright = ImageOps.exif_transpose(image)
        out = BytesIO()
        if content_type == "image/jpeg":
            if upright.mode not in ("RGB", "L", "CMYK"):
                upright = upright.convert("RGB")
            upright.save(out, "JPEG", quality=90, optimize=True)
        elif content_type == "image/png":
            upright.save(out, "PNG", optimize=True)
        else:
            upright.save(out, "WEBP", quality=90)
    return out.getvalue()


class _TooLarge(Exception):
    pass


def _decompression_bomb() -> type[Exception]:
    from PIL import Image

    return Image.DecompressionBombError


def _delete_after_commit(storage, name: str) -> None:
    # After the commit only: a rolled-back run must find the raw bytes again.
    transaction.on_commit(lambda: storage.delete(name))


def attachment_process(*, attachment: Attachment) -> Attachment:
    """Re-encode one ``processing`` attachment (locked by the caller) and mark it ready,
    or rejected with the reason. Storage errors raise, so the outbox retries the row."""
    raw_name, storage = attachment.file.name, attachment.file.storage
    try:
        with storage.open(raw_name, "rb") as raw:
            stored = _without_metadata(raw, attachment.content_type)
    except _TooLarge:
        attachment.state, attachment.rejected_reason = Attachment.State.REJECTED, Attachment.Reason.TOO_LARGE
    except FileNotFoundError:
        raise  # the storage lost the file: an operator must look (the row ends failed)
    except (OSError, SyntaxError, ValueError, _decompression_bomb()):
        attachment.state, attachment.rejected_reason = Attachment.State.REJECTED, Attachment.Reason.UNREADABLE
    else:
        attachment.state = Attachment.State.READY  # before save(): _upload_to names a ready file
        attachment.size = len(stored)
        attachment.file.save("photo", ContentFile(stored), save=False)
    if attachment.state == Attachment.State.REJECTED:
        logger.info("Attachment %s rejected: %s", attachment.pk, attachment.rejected_reason)
        attachment.file.name = ""  # nothing left to serve or to delete later
    attachment.processed_at = timezone.now()
    attachment.save(update_fields=["state", "rejected_reason", "size", "file", "processed_at"])
    _delete_after_commit(storage, raw_name)
    return attachment


def attachments_process_waiting(*, order_id: int) -> int:
    """Process every photo of the order still waiting; returns how many. Idempotent: a
    second run finds none (the rows are locked and re-read, so two runs for two events
    of one order never process a photo twice)."""
    waiting = Attachment.objects.select_for_update().filter(order_id=order_id, state=Attachment.State.PROCESSING)
    count = 0
    for attachment in waiting.order_by("pk"):
        attachment_process(attachment=attachment)
        count += 1
    return count
