"""Hostile input is a clear 4xx, never a 500 (issue 9 §10).

The crawl walks every URL pattern the resolver knows and sends a NUL byte in the path
parameters, the query string, form fields and JSON values, as an anonymous resident and
as each staff role. A new URL is covered the day it is added."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

NUL = "x\x00y"
FIELDS = (
    "q",
    "number",
    "code",
    "status",
    "figure",
    "unit",
    "next",
    "title",
    "description",
    "phone",
    "api_key",
    "service_code",
    "service_request_id",
    "category",
    "ordering",
    "cursor",
    "address",
)
ROUTE_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)")


def _patterns(resolver=None, prefix=""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _concrete(pattern: str, plain: dict[str, str], *, hostile: bool) -> str:
    """A path for ``pattern``: each parameter a NUL-bearing value where the pattern lets
    one through (``hostile``), otherwise a plausible value."""

    def route(m):
        converter, name = m.group(1) or "str", m.group(2)
        if converter == "int":
            return "1"
        return "x%00y" if hostile and converter in ("str", "path") else plain.get(name, "1")

    def group(m):
        name, body = m.group(1), m.group(2)
        candidates = (["x\x00y"] if hostile else []) + [plain.get(name, "1"), "json", *body.split("|")]
        for value in candidates:
            if re.fullmatch(body, value):
                return value.replace("\x00", "%00")
        return "1"

    path = REGEX_GROUP.sub(group, pattern)  # first: "(?P<name>…)" also looks like "<name>"
    path = ROUTE_PARAM.sub(route, path)
    path = path.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + path


def _users(district):
    admin = get_user_model().objects.create_superuser("root", "root@example.invalid", "pw-root-Long-enough")
    return {
        "anonymous": None,
        "operator": district.user("operator"),
        "dispatcher": district.user("dispatcher"),
        "supervisor": district.user("supervisor"),
        "handler_a": district.user("handler_a"),
        "grid_worker_a": district.user("grid_worker_a"),
        "superuser": admin,
    }


def _requests(pattern: str, path_hostile: str, path_plain: str, *, each_field: bool = False):
    yield "GET", path_hostile, {}
    if pattern.startswith("admin"):
        if "delete" not in pattern:  # a NUL-less deletion would delete; the GET is enough there
            yield "POST", path_plain, {"data": {f: NUL for f in FIELDS}}
        return
    if each_field:  # one at a time: a view may refuse the first bad filter before reading the next
        for f in FIELDS:
            yield "GET", f"{path_plain}?{f}=%00", {}
    else:
        yield "GET", path_plain + "?" + "&".join(f"{f}=%00" for f in FIELDS), {}
    yield "POST", path_plain, {"data": {f: NUL for f in FIELDS}}
    if pattern.startswith(("api/", "open311/")):  # the only views that read JSON bodies
        yield "POST", path_plain, {"data": json.dumps({f: NUL for f in FIELDS}), "content_type": "application/json"}


def test_nul_bytes_anywhere_never_make_a_500(district, log_call):
    order = log_call()
    plain = {"number": order.number, "code": district.community_a.code, "fmt": "json"}
    failures = []
    for who, user in _users(district).items():
        client = Client(raise_request_exception=False)
        for pattern in _patterns():
            if pattern.startswith("admin") and who not in ("superuser", "anonymous"):
                continue  # the admin refuses everyone else at the door
            if user is not None:
                client.force_login(user)  # again: the crawl also posts to the logout URL
            hostile, ok = _concrete(pattern, plain, hostile=True), _concrete(pattern, plain, hostile=False)
            each_field = who in ("anonymous", "supervisor")
            for method, path, kwargs in _requests(pattern, hostile, ok, each_field=each_field):
                response = getattr(client, method.lower())(path, **kwargs)
                # /readyz answers 503 by design while no beat runs (as in tests): not a crash.
                if response.status_code >= 500 and not (
                    path == "/readyz" and response.status_code == 503
                ):  # not ready: no beat in tests
                    failures.append(f"{who} {method} {path} {kwargs.get('content_type', '')} → {response.status_code}")
    assert not failures, "\n".join(failures)


def test_nul_in_the_path_is_a_clear_400(client, district):
    r = client.get("/api/v1/public/track?number=1%00&code=X")
    assert r.status_code == 400 and r.json()["code"] == "invalid_input" and "number" in r.json()["errors"]
    r = client.get("/open311/v2/requests/1%00.json")
    assert r.status_code == 400 and "NUL" in r.json()["message"]
    r = client.get("/track/?number=%00")
    assert r.status_code == 400 and "NUL" in r.content.decode()


def test_open311_post_with_a_nul_is_a_400(client, district):
    r = client.post("/open311/v2/requests.json", {"api_key": "k", "service_code": "a\x00b", "lat": "39.9"})
    assert r.status_code == 400


def test_deeply_nested_json_is_a_400_not_a_500(district):
    body = '{"title": "x", "description": "y", "caller_phone": "13812345678", "extra": ' + "[" * 1100 + "]" * 1100 + "}"
    r = Client(raise_request_exception=False).post("/api/v1/public/requests", body, content_type="application/json")
    assert r.status_code == 400, r.status_code
    assert r.json()["code"] == "parse_error" and "嵌套" in r.json()["message"]


def test_nesting_within_the_limit_is_parsed_and_judged_on_its_fields(district, settings):
    settings.HOTLINE_JSON_MAX_DEPTH = 4
    form = {"title": "x", "description": "y", "caller_phone": "13812345678"}
    deep = {**form, "extra": [[[["too deep"]]]]}
    r = Client().post("/api/v1/public/requests", json.dumps(deep), content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "parse_error"
    shallow = {**form, "extra": [["ok"]]}
    r = Client().post("/api/v1/public/requests", json.dumps(shallow), content_type="application/json")
    assert r.status_code == 400 and r.json()["errors"] == {"extra": ["未知字段。"]}


def test_nul_inside_a_json_string_is_a_400(district):
    form = {"title": "x", "description": "a\x00b", "caller_phone": "13812345678"}
    r = Client().post("/api/v1/public/requests", json.dumps(form), content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "parse_error"


@pytest.mark.parametrize("value", [True, False, "true", "1e999", "nan", [39.9], {"v": 1}])
def test_a_latitude_must_be_a_number(district, value):
    form = {"title": "x", "description": "路灯不亮", "caller_phone": "13812345678", "lat": value, "lng": 116.3}
    r = Client().post("/api/v1/public/requests", json.dumps(form), content_type="application/json")
    assert r.status_code == 400 and "lat" in r.json()["errors"], r.content


def test_a_latitude_as_a_number_or_a_form_string_is_accepted(district):
    form = {"title": "x", "description": "路灯不亮", "caller_phone": "13812345678", "lat": 39.905, "lng": "116.305"}
    r = Client().post("/api/v1/public/requests", json.dumps(form), content_type="application/json")
    assert r.status_code == 201, r.content
    r = Client().post("/api/v1/public/requests", {**form, "lat": "39.905"})
    assert r.status_code == 201, r.content


@pytest.mark.parametrize("lat", ["nan", "inf", "-1e400"])
def test_open311_coordinates_must_be_real_places(client, district, lat):
    from open311.services import open311_api_key_create

    _, key = open311_api_key_create(name="邻市 311", user=district.user("grid_worker_a"))
    params = {"api_key": key, "service_code": district.cat_territorial.code, "lat": lat, "long": "116.3"}
    r = client.post("/open311/v2/requests.json", params)
    assert r.status_code == 400 and "lat" in r.json()[0]["description"], r.content
