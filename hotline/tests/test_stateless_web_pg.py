"""Two gunicorn instances on one PostgreSQL and one Redis (HOTLINE_CACHE_URL) serve the
same users: a login on one is a login on the other, a logout on one ends it on both, and
the public throttle counts requests from both instances together."""

import json
import os

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from hotline.testing_services import Browser, manage, start_gunicorn

pytestmark = pytest.mark.postgres

SEED = "from hotline.testing import build_district; build_district()"
SUBMISSION = {
    "title": "路灯不亮",
    "description": "小区门口路灯坏了三天。",
    "caller_phone": "13812345678",
    "lat": 39.905,
    "lng": 116.305,
}


def cache_url() -> str:
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        if os.environ.get("HOTLINE_REQUIRE_SERVICES") == "1":
            pytest.fail("the service run needs Redis")
        pytest.skip("needs Redis (CELERY_BROKER_URL=redis://…)")
    return url


@pytest.fixture(scope="module")
def two_instances(tmp_path_factory):
    redis_url = cache_url()
    s = connection.settings_dict
    name = f"{s['NAME']}_web"
    server = dict(user=s["USER"], password=s["PASSWORD"], host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432)
    admin = psycopg2.connect(dbname="postgres", **server)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    import redis

    r = redis.Redis.from_url(redis_url)
    for key in r.scan_iter("hotline:*throttle*"):  # counters left by an earlier run
        r.delete(key)
    env = {
        "DATABASE_URL": f"postgres://{server['user']}@{server['host']}:{server['port']}/{name}",
        "HOTLINE_CACHE_URL": redis_url,
        "HOTLINE_PUBLIC_THROTTLE": "3/min",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "HOTLINE_VAR_DIR": str(tmp_path_factory.mktemp("var")),
    }
    webs = []
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "shell", "-c", SEED)
        webs = [start_gunicorn(env, threads=2), start_gunicorn(env, threads=2)]
        yield webs
    finally:
        for web in webs:
            web.stop()
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def on(browser: Browser, web) -> Browser:
    browser.base = web.base  # same host, other port: the cookies go along
    return browser


def test_a_session_started_on_one_instance_is_valid_on_the_other(two_instances):
    a, b = two_instances
    browser = Browser(a.base)
    browser.login("operator", "pw-operator")
    status, body = on(browser, b).request("GET", "/ops/")
    assert status == 200 and b'name="caller_phone"' in body  # the console, not the login page
    # logging out on B ends the session on A too
    on(browser, b).request("POST", "/accounts/logout/", {"csrfmiddlewaretoken": browser.cookie("csrftoken")})
    status, body = on(browser, a).request("GET", "/ops/")
    assert b'name="password"' in body  # the login page again


def test_the_public_throttle_counts_across_instances(two_instances):
    a, b = two_instances
    statuses = []
    for web in (a, b, a, b):
        status, body = Browser(web.base).request(
            "POST", "/api/v1/public/requests", SUBMISSION, headers={"Content-Type": "application/json"}
        )
        statuses.append(status)
        if status == 201:
            assert json.loads(body)["number"]
    assert statuses == [201, 201, 201, 429]
