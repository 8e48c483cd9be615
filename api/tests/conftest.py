"""API test fixtures, and the masking scan: every response any test in this package
receives is checked for a full mobile number the requesting user must not see."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from grids.selectors import roles_of
from workorders.privacy import UNMASKED_ROLES

# A mainland mobile number not preceded or followed by another digit (so order numbers
# like 20261123000042 and timestamps do not match).
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# Endpoints whose very purpose is to give the full number (audited).
EXEMPT_PATHS = re.compile(r"/reveal_caller$")


def may_see_full_numbers(user) -> bool:
    return bool(user is not None and user.is_authenticated and roles_of(user) & UNMASKED_ROLES)


def unmasked_numbers(body: str) -> list[str]:
    return MOBILE_RE.findall(body)


def check_response_masking(response, user) -> None:
    content_type = response.get("Content-Type", "")
    if not any(t in content_type for t in ("json", "xml")) or getattr(response, "streaming", False):
        return
    path = response.wsgi_request.path if hasattr(response, "wsgi_request") else ""
    if EXEMPT_PATHS.search(path) or may_see_full_numbers(user):
        return
    found = unmasked_numbers(response.content.decode("utf-8", "replace"))
    assert not found, f"{path} showed unmasked mobile number(s) {found} to {user!r}"


@pytest.fixture(autouse=True)
def masking_scan(monkeypatch):
    """Wraps the test client so that every JSON/XML response of the API suite is scanned."""
    original = Client.request
    checked = []

    def request(self, **request):
        response = original(self, **request)
        user = getattr(getattr(response, "wsgi_request", None), "user", None)
        # DRF authenticates on the DRF request; the forced/token user is on the renderer context.
        drf_request = (
            getattr(response, "renderer_context", {}).get("request") if hasattr(response, "renderer_context") else None
        )
        if drf_request is not None:
            user = drf_request.user
        check_response_masking(response, user)
        checked.append(response)
        return response

    monkeypatch.setattr(Client, "request", request)
    return checked


@pytest.fixture
def api(district):
    """api(username) → an APIClient authenticated with that user's token."""
    from api.tokens import api_token_create

    keys: dict[str, str] = {}

    def _client(username: str | None = None, **headers) -> APIClient:
        client = APIClient(**headers)
        if username:
            if username not in keys:  # one token per user per test, as a machine would keep it
                keys[username] = api_token_create(user=district.user(username), name="test")[1]
            client.credentials(HTTP_AUTHORIZATION=f"Token {keys[username]}", **headers)
        return client

    return _client


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
