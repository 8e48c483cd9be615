"""``media_url`` of a POST: the photo fetched from the client's server, when the
deployment enables it (HOTLINE_OPEN311_FETCH_MEDIA), checked like an upload.

Off by default: fetching makes this server request any URL a key holder names (including
hosts on its own network), so an operator turns it on only for trusted neighbours. The
standard library's urllib is enough here (one GET, a streamed read with a byte cap and a
deadline); it is used instead of a client library to add no dependency for one call."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from attachments.services import attachment_check, max_bytes
from workorders.errors import InvalidInput

FIELD = "media_url"
CHUNK = 64 * 1024


def _refuse(message: str) -> InvalidInput:
    return InvalidInput({FIELD: message})


def media_fetch(*, url: str) -> SimpleUploadedFile:
    """The photo at ``url`` as an upload that passed attachment_check, or InvalidInput
    naming media_url (disabled, bad URL, unreachable, too slow, too large, not an image)."""
    if not settings.HOTLINE_OPEN311_FETCH_MEDIA:
        raise _refuse(_("本系统已停用远程获取照片，请勿发送 media_url（照片请通过本市渠道上传）。"))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refuse(_("必须是 http 或 https 地址。"))
    timeout = settings.HOTLINE_OPEN311_FETCH_TIMEOUT
    limit = max_bytes()
    deadline = time.monotonic() + timeout  # the whole fetch, not each socket read
    request = urllib.request.Request(url, headers={"User-Agent": "hotline-open311", "Accept": "image/*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise _refuse(_("照片超过上限 %(kb)d KB。") % {"kb": limit // 1024})
            kind = (response.headers.get_content_type() or "").lower()
            if not kind.startswith("image/"):
                raise _refuse(_("地址返回的不是图片（%(t)s）。") % {"t": kind})
            body = bytearray()
            while chunk := response.read(CHUNK):
                body += chunk
                if len(body) > limit:
                    raise _refuse(_("照片超过上限 %(kb)d KB。") % {"kb": limit // 1024})
                if time.monotonic() > deadline:
                    raise _refuse(_("获取照片超时（%(s)d 秒）。") % {"s": timeout})
    except InvalidInput:
        raise
    except urllib.error.HTTPError as exc:
        raise _refuse(_("获取照片失败：HTTP %(c)d。") % {"c": exc.code}) from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or isinstance(exc, TimeoutError):
            raise _refuse(_("获取照片超时（%(s)d 秒）。") % {"s": timeout}) from None
        raise _refuse(_("无法获取照片：%(r)s") % {"r": reason}) from None
    name = parts.path.rsplit("/", 1)[-1] or "media"
    upload = SimpleUploadedFile(name[:100], bytes(body))
    attachment_check(upload=upload, field=FIELD)
    return upload
