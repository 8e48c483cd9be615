"""A small fixed-window rate limiter on Django's cache, for the public pages.

Counting per client address and per window in the cache keeps it cheap; with the
default LocMemCache each process counts alone, which is still a useful brake."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_key(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(request: HttpRequest, bucket: str, *, limit: int, window: int) -> bool:
    """Count one request; False when the client is over ``limit`` in this window."""
    slot = int(time.time() // window)
    key = f"throttle:{bucket}:{client_key(request)}:{slot}"
    if cache.add(key, 1, timeout=window + 5):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        return True
    return count <= limit
