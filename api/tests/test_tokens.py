"""API tokens are stored hashed, expire and can be revoked (issue 9 §12)."""

from __future__ import annotations

import importlib
import io
from datetime import timedelta

from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from api import authentication
from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke, digest_of


def _queue(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/orders/queue").status_code


def test_a_new_token_works_and_only_its_digest_is_stored(district):
    token, key = api_token_create(user=district.user("operator"), name="电话系统")
    assert _queue(key) == 200
    assert token.digest == digest_of(key) and token.prefix == key[:8] and len(key) >= 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        stored = " ".join(str(v) for row in cursor.fetchall() for v in row)
    assert key not in stored
    assert token.expires_at - token.created_at == timedelta(days=90)


def test_a_wrong_key_with_a_right_prefix_is_refused(district):
    _, key = api_token_create(user=district.user("operator"))
    assert _queue(key[:8] + "x" * (len(key) - 8)) == 401


def test_an_expired_token_is_refused(district):
    token, key = api_token_create(user=district.user("operator"))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    authentication.forget()
    assert _queue(key) == 401


def test_a_revoked_token_is_refused_at_once(district):
    token, key = api_token_create(user=district.user("operator"))
    assert _queue(key) == 200  # now remembered by this process
    api_token_revoke(token=token)
    r = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/orders/queue")
    assert r.status_code == 401 and "吊销" in r.json()["message"]


def test_the_admin_shows_a_new_key_once_and_revokes(client, district):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", "r@example.invalid", "x-Long-enough-1"))
    admin_client = client
    user = district.user("operator")
    r = admin_client.post(
        "/admin/api/apitoken/add/",
        {"user": user.pk, "name": "电话系统", "expires_at_0": "2099-01-01", "expires_at_1": "00:00:00"},
        follow=True,
    )
    shown = [str(m) for m in r.context["messages"]]
    key = next(m.split("：", 1)[1] for m in shown if "只显示这一次" in m)
    assert _queue(key) == 200
    token = ApiToken.objects.get(user=user)
    page = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert key not in page and token.digest not in page
    admin_client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert _queue(key) == 401


def test_the_command_prints_a_working_key_and_revokes_by_prefix(district):
    out = io.StringIO()
    call_command("api_token", "create", "--user", "operator", "--days", "7", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    assert _queue(key) == 200
    call_command("api_token", "revoke", key[:8], stdout=io.StringIO())
    assert _queue(key) == 401


def test_existing_drf_tokens_keep_working_after_the_migration_and_lose_their_clear_text(district):
    from django.apps import apps
    from rest_framework.authtoken.models import Token

    old = Token.objects.create(user=district.user("operator"))
    migration = importlib.import_module("api.migrations.0002_api_token")
    migration.hash_drf_tokens(apps, connection.schema_editor())
    assert not Token.objects.exists()
    assert _queue(old.key) == 200
    assert ApiToken.objects.get(user=district.user("operator")).digest == digest_of(old.key)


def test_no_key_starts_with_a_dash_so_its_prefix_passes_on_the_command_line(district, monkeypatch):
    """`manage.py api_token revoke <prefix>` read a prefix starting with "-" as an option
    (1 key in 64 did): keys are drawn again until they do not."""
    from api import tokens

    draws = iter(["-starts-with-a-dash", "Ok-key"])
    monkeypatch.setattr(tokens.secrets, "token_urlsafe", lambda n: next(draws))
    token, key = tokens.api_token_create(user=district.user("operator"), days=7)
    assert key == "Ok-key"
