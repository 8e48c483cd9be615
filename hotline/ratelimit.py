"""Who is asking, and how often: the client address behind our proxies, fixed-window
counters and the lock-out of tracking-code guesses, all in the shared Django cache.

Why hand-written rather than DRF's SimpleRateThrottle or django-ratelimit: DRF keeps a
list of timestamps that it reads, appends to and writes back (two processes that read the
same list both get through), and takes the client from ``X-Forwarded-For`` unless
NUM_PROXIES is set. Here a window is one cache key bumped with ``cache.incr``, which is a
single atomic INCR on Redis (Django's built-in backend), so every process behind the load
balancer counts into the same bucket; and the address comes from ``client_address``,
which trusts exactly ``HOTLINE_TRUSTED_PROXIES`` hops of the header and nothing a client
typed. The pages, the API, Open311 and the login lock-out (django-axes) all use it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The address of the client as seen by the outermost proxy we trust.

    With ``HOTLINE_TRUSTED_PROXIES = 0`` (no proxy in front) only REMOTE_ADDR counts and
    ``X-Forwarded-For`` is ignored entirely: anyone can send that header. With N proxies,
    each appends the address it received the request from, so the client's address is the
    N-th entry from the right; entries further left were written by the client and are
    never looked at. Fewer entries than proxies means the request entered through an inner
    proxy, whose entry (the leftmost) is then the client."""
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    depth = settings.HOTLINE_TRUSTED_PROXIES
    if depth <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return remote
    return _valid_ip(hops[-min(depth, len(hops))]) or remote


def axes_client_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the login lock-out counts per the same address. None when
    there is none (force_login, a socket without REMOTE_ADDR): axes stores the address in
    an inet column on PostgreSQL, which refuses "unknown"."""
    return _valid_ip(client_address(request))


def axes_lockout_response(request: HttpRequest, original_response, credentials) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a plain page saying why and for how long (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _("登录失败次数过多，该账号或本机地址已暂停登录 %(m)d 分钟。如需帮助请联系管理员。") % {"m": minutes}
    response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(minutes * 60)
    return response


def _key(*parts: str) -> str:
    # Hashed: addresses and order numbers of any length make a short, safe cache key.
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"rl:{parts[0]}:{digest}"


def count(*, bucket: str, who: str, window: int, now: float | None = None) -> int:
    """Add one to ``who``'s counter in ``bucket`` for the current window; the new total.

    ``add`` creates the key only if absent and ``incr`` is atomic on Redis (and under a
    lock in LocMemCache), so concurrent requests in any number of processes each get a
    distinct total."""
    slot = int((now if now is not None else time.time()) // window)
    key = _key(bucket, who, str(slot))
    cache.add(key, 0, timeout=window + 5)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this request opens the window
        cache.add(key, 1, timeout=window + 5)
        return 1


def allow(*, bucket: str, who: str, limit: int, window: int) -> bool:
    """Count one request; False when ``who`` is over ``limit`` in this window."""
    allowed = count(bucket=bucket, who=who, window=window) <= limit
    if not allowed:
        log.info("throttled %s for %s", bucket, who)
    return allowed


def seconds_left(window: int) -> int:
    return max(1, int(window - time.time() % window))


def parse_rate(rate: str) -> tuple[int, int]:
    """'30/min' → (30, 60), as DRF writes rates."""
    number, period = rate.split("/")
    return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


# --- tracking codes -------------------------------------------------------------------
# A tracking code is the only secret between an order number (printed on receipts, said
# on the phone) and the order's progress. Wrong codes for one number, or from one
# client, lock that number (or client) out for a while, whatever the request rate.


def _lockout() -> tuple[int, int, int]:
    return (
        settings.HOTLINE_TRACK_MAX_FAILURES,
        settings.HOTLINE_TRACK_CLIENT_MAX_FAILURES,
        settings.HOTLINE_TRACK_LOCKOUT_SECONDS,
    )


def _failure_keys(number: str, client: str) -> tuple[str, str]:
    return _key("trackfail-number", number.strip().upper()), _key("trackfail-client", client)


def tracking_locked(*, number: str, client: str) -> bool:
    """True while the number or the client has used up its wrong guesses."""
    per_number, per_client, _seconds = _lockout()
    number_key, client_key = _failure_keys(number, client)
    values = cache.get_many([number_key, client_key])
    return values.get(number_key, 0) >= per_number or values.get(client_key, 0) >= per_client


def tracking_failed(*, number: str, client: str) -> None:
    """Record one wrong code. The counters live LOCKOUT seconds from the first failure,
    so a lock-out ends at most that long after it began."""
    per_number, per_client, seconds = _lockout()
    keys = _failure_keys(number, client)
    for key, limit, what in zip(keys, (per_number, per_client), ("number", "client"), strict=True):
        cache.add(key, 0, timeout=seconds)
        try:
            total = cache.incr(key)
        except ValueError:
            cache.add(key, 1, timeout=seconds)
            total = 1
        if total == limit:
            log.warning(
                "tracking look-ups locked per %s (number %s, client %s) after %d wrong codes",
                *(what, number, client, total),
            )
