"""Throttles for the public pages: per trusted client address, in the shared cache
(hotline.ratelimit), so a forged X-Forwarded-For or a second process buys nothing."""

from __future__ import annotations

from django.http import HttpRequest

from hotline.ratelimit import allow, client_address


def client_key(request: HttpRequest) -> str:
    return client_address(request)


def hit(request: HttpRequest, bucket: str, *, limit: int, window: int) -> bool:
    """Count one request; False when the client is over ``limit`` in this window."""
    return allow(bucket=bucket, who=client_address(request), limit=limit, window=window)
