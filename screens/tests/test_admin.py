"""Screens are added and revoked in the admin; the kiosk passes the CSP."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from hotline.tests.test_csp import _offenders, _pages
from screens.models import Screen
from screens.services import screen_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client(client, district):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_admin_adds_a_screen_shows_its_url_once_and_revokes_it(root_client, district):
    response = root_client.post(
        "/admin/screens/screen/add/", {"community": district.community_a.pk, "name": "大厅"}, follow=True
    )
    (url,) = re.findall(r"http://testserver(/screens/k/[^/]+/)", response.content.decode())
    screen = Screen.objects.get()
    token = url.split("/")[-2]
    assert screen.token_hash != token and token not in screen.token_hash
    assert root_client.get(url).status_code == 200
    root_client.post("/admin/screens/screen/", {"action": "revoke", "_selected_action": [screen.pk]}, follow=True)
    screen.refresh_from_db()
    assert screen.revoked_at is not None
    assert root_client.get(url).status_code == 404
    # the change page never shows the token again
    assert token not in root_client.get(f"/admin/screens/screen/{screen.pk}/change/").content.decode()


def test_kiosk_page_passes_the_csp(client, district):
    _s, token = screen_create(community=district.community_a, name="大厅")
    found, n = _offenders(_pages(client, [f"/screens/k/{token}/"]))
    assert n == 1 and not found, found
