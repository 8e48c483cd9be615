"""Notification backends: how a message leaves the building.

A backend has one method, ``send(notification)``, which raises on failure. The
notification's ``dedupe_key`` is passed along as the message id so a gateway can drop a
resend of a message it already accepted (a worker killed between the gateway's answer and
our "sent" mark resends once; the key makes that harmless).
"""

from __future__ import annotations

import json
import logging
import urllib.request
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("dispatch.notifications")


class LogBackend:
    """Development default: the message goes to the log."""

    def send(self, notification) -> None:
        logger.info(
            "NOTIFY %s to=%s (%s): %s",
            notification.dedupe_key,
            notification.recipient_id,
            notification.address,
            notification.text,
        )


class FileBackend:
    """Appends one JSON line per message to HOTLINE_NOTIFY_FILE (demo and process tests)."""

    def send(self, notification) -> None:
        line = json.dumps(
            {"key": notification.dedupe_key, "to": notification.recipient_id, "text": notification.text},
            ensure_ascii=False,
        )
        with Path(settings.HOTLINE_NOTIFY_FILE).open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class HttpSmsBackend:
    """POSTs {"id", "to", "text"} as JSON to HOTLINE_SMS_URL with a bearer token; any
    non-2xx answer or network error raises, and the task retries."""

    def send(self, notification) -> None:
        if not notification.address:
            raise ValueError(f"no phone number for notification {notification.pk}")
        body = json.dumps(
            {"id": notification.dedupe_key, "to": notification.address, "text": notification.text}, ensure_ascii=False
        ).encode()
        request = urllib.request.Request(
            settings.HOTLINE_SMS_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {settings.HOTLINE_SMS_TOKEN}",
                "Idempotency-Key": notification.dedupe_key,
            },
        )
        with urllib.request.urlopen(request, timeout=settings.HOTLINE_SMS_TIMEOUT) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise OSError(f"SMS gateway answered {response.status}")


@cache
def _backend_class(path: str):
    return import_string(path)


def get_backend():
    return _backend_class(settings.HOTLINE_NOTIFY_BACKEND)()
