"""Token authentication that remembers a token's user for a few seconds.

Machines (the telephony system, a mini-program's backend) send every request with the
same token; looking the token, its user and the user's memberships up again on each one
is two queries per request on the intake path. This keeps (token → user fields,
memberships) in the process for ``HOTLINE_AUTH_CACHE_SECONDS`` (default 10 s): a revoked
token, a deactivated user or a changed membership takes effect within that time in every
process, and at once in the process that made the change (the signals below).

Keys are ApiToken rows (api/tokens.py: SHA-256 digest, expiry, revocation); an entry is
never remembered past its token's expiry. Entries are keyed by the key's digest, so no key
sits in memory in clear either.

Each request gets its own fresh User instance built from the cached field values, so
nothing one request sets on ``request.user`` leaks into another; the memberships list
(read-only) is shared.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from api.models import ApiToken
from api.tokens import api_token_find, digest_of
from grids.models import Membership
from grids.selectors import memberships_of

_lock = threading.Lock()
_entries: dict[str, tuple[float, dict, list]] = {}
_MAX_ENTRIES = 10_000


def ttl() -> float:
    return float(settings.HOTLINE_AUTH_CACHE_SECONDS)


def forget(*_args, **_kwargs) -> None:
    """Drop every remembered token (called when a token, user or membership changes)."""
    with _lock:
        _entries.clear()


for _model in (ApiToken, get_user_model(), Membership):
    post_save.connect(forget, sender=_model, dispatch_uid=f"api-auth-cache-save-{_model.__name__}")
    post_delete.connect(forget, sender=_model, dispatch_uid=f"api-auth-cache-delete-{_model.__name__}")


def _fresh_user(values: dict, memberships: list):
    user = get_user_model()(**values)
    user._state.adding = False
    user._state.db = "default"
    user._hotline_memberships = memberships  # type: ignore[attr-defined]  # grids.selectors.memberships_of's cache
    return user


class CachedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` against ApiToken (hashed, expiring, revocable)."""

    def authenticate_credentials(self, key):
        now = time.monotonic()
        cache_key = digest_of(key)
        entry = _entries.get(cache_key)
        if entry is not None and entry[0] > now:
            user = _fresh_user(entry[1], entry[2])
            return user, None
        token = api_token_find(key=key)
        if token is None:
            raise AuthenticationFailed(_("令牌无效、已过期或已吊销。"))
        user = token.user
        if not user.is_active:
            raise AuthenticationFailed(_("用户已停用。"))
        seconds = min(ttl(), (token.expires_at - timezone.now()).total_seconds())
        if seconds > 0:
            values = {f.attname: getattr(user, f.attname) for f in user._meta.concrete_fields}
            memberships = memberships_of(user)
            with _lock:
                if len(_entries) >= _MAX_ENTRIES:
                    _entries.clear()
                _entries[cache_key] = (now + seconds, values, memberships)
        return user, token
