"""Token authentication remembers a token's user briefly, never longer than it should."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import authentication
from api.models import ApiToken


@pytest.fixture(autouse=True)
def _fresh_cache():
    authentication.forget()
    yield
    authentication.forget()


def queue(client):
    return client.get("/api/v1/orders/queue")


def test_a_repeated_token_costs_no_token_or_membership_query(api):
    client = api("operator")
    assert queue(client).status_code == 200
    with CaptureQueriesContext(connection) as first_run:
        authentication.forget()
        assert queue(client).status_code == 200
    with CaptureQueriesContext(connection) as second_run:
        assert queue(client).status_code == 200
    tables = lambda run: " ".join(q["sql"] for q in run.captured_queries)  # noqa: E731
    assert "api_apitoken" in tables(first_run) and "grids_membership" in tables(first_run)
    assert "api_apitoken" not in tables(second_run) and "grids_membership" not in tables(second_run)


def test_a_deleted_token_is_refused_at_once_in_this_process(api, district):
    client = api("operator")
    assert queue(client).status_code == 200
    ApiToken.objects.get(user=district.user("operator")).delete()
    assert queue(client).status_code == 401


def test_a_change_made_by_another_process_is_seen_within_the_cache_time(api, district, monkeypatch):
    client = api("operator")
    assert queue(client).status_code == 200
    with connection.cursor() as cursor:  # as another process would: no signal here
        cursor.execute("UPDATE auth_user SET is_active = %s WHERE username = %s", [False, "operator"])
    assert queue(client).status_code == 200  # still remembered
    now = authentication.time.monotonic()
    monkeypatch.setattr(authentication.time, "monotonic", lambda: now + authentication.ttl() + 1)
    assert queue(client).status_code == 401


def test_a_membership_change_is_seen_at_once(api, district):
    client = api("operator")
    assert post_call(client).status_code == 201
    from grids.models import Membership

    Membership.objects.filter(user=district.user("operator")).delete()
    assert post_call(client).status_code == 403


def test_each_request_gets_its_own_user_instance(api, district):
    seen = []
    from rest_framework.request import Request

    original = Request.user.fget

    def spy(self):
        user = original(self)
        seen.append(user)
        return user

    client = api("operator")
    try:
        Request.user = property(spy, Request.user.fset)
        queue(client)
        queue(client)
    finally:
        Request.user = property(original, Request.user.fset)
    users = {id(u) for u in seen}
    assert len(users) >= 2 and all(u.username == "operator" for u in seen)


def post_call(client):
    return client.post(
        "/api/v1/orders",
        data=json.dumps({"title": "路灯不亮", "description": "小区门口路灯坏了", "caller_phone": "13812345678"}),
        content_type="application/json",
    )
