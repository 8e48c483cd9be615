"""API tokens: made, checked and revoked here only (admin, command and tests call these).

Why our own model and not DRF's authtoken: DRF stores the key in clear text (anyone who
reads the table or a backup can act as every machine), with no expiry and no record of
revocation. Here only the SHA-256 digest is kept; a key is 8 characters of prefix (to
find the row) and a random secret, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from api.models import ApiToken

log = logging.getLogger(__name__)
PREFIX_LENGTH = 8


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(
    *, user: User, name: str = "", days: int | None = None, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``, valid ``days`` (HOTLINE_API_TOKEN_DAYS by default).
    Returns the row and the key; the key is never stored and cannot be shown again."""
    now = now or timezone.now()
    days = days if days is not None else settings.HOTLINE_API_TOKEN_DAYS
    key = secrets.token_urlsafe(32)
    while key.startswith("-"):  # a key (or its prefix) must pass as a command-line argument
        key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:PREFIX_LENGTH],
        digest=digest_of(key),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    log.info("API token %s… made for user %s, expires %s", token.prefix, user.pk, token.expires_at)
    return token, key


def api_token_revoke(*, token: ApiToken, now: datetime | None = None) -> ApiToken:
    """Revoke ``token`` for good (the row stays as the record)."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
        log.info("API token %s… of user %s revoked", token.prefix, token.user_id)
    return token


def api_token_find(*, key: str, now: datetime | None = None) -> ApiToken | None:
    """The live token for ``key`` (not revoked, not expired), or None."""
    if len(key) <= PREFIX_LENGTH:
        return None
    now = now or timezone.now()
    given = digest_of(key)
    for token in ApiToken.objects.select_related("user").filter(prefix=key[:PREFIX_LENGTH]):
        if hmac.compare_digest(token.digest, given):
            if token.revoked_at is not None or token.expires_at <= now:
                return None
            return token
    return None
