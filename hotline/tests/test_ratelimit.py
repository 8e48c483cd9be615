"""Throttles count the trusted client address in the shared cache; tracking codes cannot
be guessed by trying (issue 9 §8)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.test import Client, RequestFactory

from hotline.ratelimit import client_address

ROOT = Path(__file__).resolve().parents[2]


def _request(remote="198.51.100.9", xff=None):
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.HOTLINE_TRUSTED_PROXIES = 0
    assert client_address(_request(xff="1.2.3.4")) == "198.51.100.9"


def test_with_proxies_the_client_is_that_many_hops_from_the_right(settings):
    settings.HOTLINE_TRUSTED_PROXIES = 1
    # The client typed "6.6.6.6, 7.7.7.7"; our one proxy appended what it saw.
    assert client_address(_request(remote="10.0.0.2", xff="6.6.6.6, 7.7.7.7, 203.0.113.5")) == "203.0.113.5"
    settings.HOTLINE_TRUSTED_PROXIES = 2
    assert client_address(_request(remote="10.0.0.2", xff="6.6.6.6, 203.0.113.5, 10.0.0.1")) == "203.0.113.5"
    # Fewer entries than proxies: entered at the inner proxy, whose entry is the client.
    assert client_address(_request(remote="10.0.0.2", xff="203.0.113.5")) == "203.0.113.5"
    # Rubbish where an address must be: the peer address, never the rubbish.
    assert client_address(_request(remote="10.0.0.2", xff="x, not-an-ip")) == "10.0.0.2"


def test_forged_forwarded_header_does_not_escape_the_api_throttle(district, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public": "5/min"}}
    client = Client()
    codes = [
        client.get(
            "/api/v1/public/track", {"number": "1", "code": f"X{i}"}, HTTP_X_FORWARDED_FOR=f"10.9.{i}.1"
        ).status_code
        for i in range(8)
    ]
    assert codes[5:] == [429, 429, 429], codes


def test_behind_one_proxy_each_resident_has_their_own_bucket(district, settings):
    settings.HOTLINE_TRUSTED_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public": "3/min"}}
    proxy = Client(REMOTE_ADDR="10.0.0.1")

    def get(xff):
        return proxy.get("/api/v1/public/track", {"number": "1"}, HTTP_X_FORWARDED_FOR=xff).status_code

    # One resident forging a different left part each time is still one resident …
    assert [get(f"{i}.{i}.{i}.{i}, 203.0.113.7") for i in range(1, 5)] == [400, 400, 400, 429]
    # … and the next resident behind the same proxy is not throttled with them.
    assert get("203.0.113.8") == 400


def test_forged_forwarded_header_does_not_escape_the_page_throttle(client, district):
    from web.views.public import TRACK_LIMIT

    codes = [
        client.post(
            "/track/", {"number": "1", "code": "ABCDEF"}, HTTP_X_FORWARDED_FOR=f"10.8.{i % 250}.{i // 250}"
        ).status_code
        for i in range(TRACK_LIMIT[0] + 2)
    ]
    assert codes[-1] == 429


def test_open311_is_throttled_per_client(client, district, settings):
    settings.HOTLINE_OPEN311_THROTTLE = 3
    codes = [client.get("/open311/v2/services.json", HTTP_X_FORWARDED_FOR=f"10.7.0.{i}").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]


# --- lock-out of tracking-code guesses ----------------------------------------------


def _submitted(client):
    form = {"title": "路灯不亮", "description": "小区门口路灯坏了三天", "caller_phone": "13812345678"}
    body = client.post("/api/v1/public/requests", data=json.dumps(form), content_type="application/json").json()
    return body["number"], body["tracking_code"]


def test_wrong_codes_lock_the_number_even_from_many_addresses(district, settings):
    settings.HOTLINE_TRACK_MAX_FAILURES = 5
    number, code = _submitted(Client())
    for i in range(5):
        r = Client(REMOTE_ADDR=f"10.6.0.{i}").get("/api/v1/public/track", {"number": number, "code": f"WRONG{i}"})
        assert r.status_code == 404
    # The right code now is refused too (no oracle), with a message that says why.
    locked = Client(REMOTE_ADDR="10.6.1.1").get("/api/v1/public/track", {"number": number, "code": code})
    assert locked.status_code == 429 and locked.json()["code"] == "tracking_locked"
    assert "12345" in locked.json()["message"] and locked["Retry-After"] == "900"
    # The page refuses it just the same.
    page = Client(REMOTE_ADDR="10.6.1.2").post("/track/", {"number": number, "code": code})
    assert page.status_code == 429 and "暂停查询" in page.content.decode()
    # Another order's resident is not affected.
    other, other_code = _submitted(Client(REMOTE_ADDR="10.6.2.1"))
    assert Client().get("/api/v1/public/track", {"number": other, "code": other_code}).status_code == 200


def test_one_client_guessing_across_numbers_is_locked_out(district, settings):
    settings.HOTLINE_TRACK_CLIENT_MAX_FAILURES = 4
    number, code = _submitted(Client())
    guesser = Client(REMOTE_ADDR="10.5.0.1")
    for i in range(4):
        assert guesser.post("/track/", {"number": f"2026{i:010d}", "code": "AAAAAA"}).status_code == 404
    assert guesser.get("/api/v1/public/track", {"number": number, "code": code}).status_code == 429
    neighbour = Client(REMOTE_ADDR="10.5.0.2")
    assert neighbour.get("/api/v1/public/track", {"number": number, "code": code}).status_code == 200


def test_wrong_codes_on_the_rating_form_count_too(district, settings):
    settings.HOTLINE_TRACK_MAX_FAILURES = 2
    number, code = _submitted(Client())
    rate = {"number": number, "code": "WRONG1", "resolution": "solved", "satisfaction": "satisfied"}
    for _ in range(2):
        r = Client().post("/api/v1/public/rate", data=json.dumps(rate), content_type="application/json")
        assert r.status_code == 400
    assert Client().post("/track/rate/", {**rate, "code": code}).status_code == 429


# --- one bucket across processes (real Redis) ------------------------------------------

CHILD = """
import django, os, sys
django.setup()
from django.test import Client
client = Client(REMOTE_ADDR=sys.argv[1])
codes = [client.get("/api/v1/public/track", {"number": "1"}).status_code for _ in range(int(sys.argv[2]))]
print(sum(1 for c in codes if c != 429))
"""


@pytest.mark.redis
def test_two_processes_share_one_bucket_on_redis(settings, tmp_path):
    """Two web processes, one limit: 30 allowed in all, not 30 each (as with a
    per-process cache). The requests fail validation after the throttle, so the child
    processes need no database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hotline.settings",
        "HOTLINE_CACHE_URL": settings.CELERY_BROKER_URL,
        "HOTLINE_PUBLIC_THROTTLE": "30/day",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "HOTLINE_VAR_DIR": str(tmp_path),
    }
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, address, "30"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    allowed = [int(child.communicate(timeout=120)[0].strip().splitlines()[-1]) for child in children]
    assert sum(allowed) == 30, allowed
