"""Brute force on the login page and the admin is locked out per account and per
address; passwords must not be common, numeric, short or like the username (issue 9 §12)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user("wang.dispatch", password="Right-Horse-Battery-9")
    admin = get_user_model().objects.create_superuser("root", "root@example.invalid", "Right-Horse-Battery-9")
    return user, admin


def _post(url, username, password, address="203.0.113.10", **extra):
    return Client(REMOTE_ADDR=address).post(url, {"username": username, "password": password, **extra})


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_wrong_passwords_lock_the_account_even_from_new_addresses(staff, settings, url):
    settings.AXES_FAILURE_LIMIT = 5
    user = staff[1] if url == ADMIN_LOGIN else staff[0]
    extra = {"next": "/admin/"} if url == ADMIN_LOGIN else {}
    codes = [_post(url, user.username, f"guess-{i}", address=f"198.51.100.{i}", **extra).status_code for i in range(5)]
    assert codes == [200, 200, 200, 200, 429]  # the fifth wrong one locks
    locked = _post(url, user.username, "Right-Horse-Battery-9", address="198.51.100.99", **extra)
    assert locked.status_code == 429 and "暂停登录" in locked.content.decode()
    assert "_auth_user_id" not in locked.wsgi_request.session


def test_right_password_before_the_limit_still_works(staff, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for i in range(4):
        _post(LOGIN, "wang.dispatch", f"guess-{i}")
    assert _post(LOGIN, "wang.dispatch", "Right-Horse-Battery-9").status_code == 302


def test_one_address_trying_many_accounts_is_locked_out(staff, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for i in range(5):
        _post(LOGIN, f"someone{i}", "password1", address="203.0.113.77")
    assert _post(LOGIN, "wang.dispatch", "Right-Horse-Battery-9", address="203.0.113.77").status_code == 429
    assert _post(LOGIN, "wang.dispatch", "Right-Horse-Battery-9", address="203.0.113.78").status_code == 302


def test_a_forged_forwarded_header_does_not_escape_the_address_lock_out(staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for i in range(3):
        _post(LOGIN, f"someone{i}", "password1", address="203.0.113.80", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    r = Client(REMOTE_ADDR="203.0.113.80").post(
        LOGIN, {"username": "wang.dispatch", "password": "Right-Horse-Battery-9"}, HTTP_X_FORWARDED_FOR="10.1.1.1"
    )
    assert r.status_code == 429


def test_lock_outs_are_recorded_for_the_admin(staff, settings):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 2
    for i in range(2):
        _post(LOGIN, "wang.dispatch", f"guess-{i}")
    attempt = AccessAttempt.objects.get(username="wang.dispatch")
    assert attempt.failures_since_start == 2 and attempt.ip_address == "203.0.113.10"


@pytest.mark.parametrize(
    "password",
    ["12345678901234", "password123", "wang.dispatch1", "short-1"],
    ids=["numeric", "common", "like-username", "short"],
)
def test_weak_passwords_are_refused(staff, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=staff[0])


def test_a_good_password_passes(staff):
    validate_password("Right-Horse-Battery-9", user=staff[0])
