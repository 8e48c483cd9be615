"""POST requests: tokens for queued submissions, the spec's error bodies (never a 500),
and service definitions from the admin-edited attributes, validated and stored."""

import json
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from grids.models import Role
from hotline.testing import make_user
from open311.models import AttributeValue, ServiceAttribute, ServiceRequest
from open311.services import open311_api_key_create
from open311.tests.test_open311 import validate
from workorders.models import WorkOrder
from workorders.services import work_order_accept, work_order_reject

WHERE = {"service_code": "0101", "lat": "39.905", "long": "116.305", "description": "占道摆摊"}


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def key(district):
    return open311_api_key_create(name="邻市 311", user=district.user("grid_worker_a"))[1]


@pytest.fixture
def definition(district):
    """0101 asks: kind (required list), count (number), seen_at (datetime), note (text),
    goods (multivaluelist)."""
    cat = district.cat_territorial
    kind = ServiceAttribute.objects.create(
        category=cat, code="kind", datatype="singlevaluelist", required=True, order=1, description="类型"
    )
    for i, (k, n) in enumerate([("stall", "摆摊"), ("parking", "停车")], start=1):
        AttributeValue.objects.create(attribute=kind, key=k, name=n, order=i)
    ServiceAttribute.objects.create(category=cat, code="count", datatype="number", order=2, description="数量")
    ServiceAttribute.objects.create(category=cat, code="seen_at", datatype="datetime", order=3, description="时间")
    ServiceAttribute.objects.create(category=cat, code="note", datatype="text", order=4, description="补充")
    goods = ServiceAttribute.objects.create(
        category=cat, code="goods", datatype="multivaluelist", order=5, description="物品"
    )
    for i, (k, n) in enumerate([("fruit", "水果"), ("food", "熟食"), ("toys", "玩具")], start=1):
        AttributeValue.objects.create(attribute=goods, key=k, name=n, order=i)
    return cat


def post(client, fmt="json", **params):
    return client.post(f"/open311/v2/requests.{fmt}", params)


def test_token_resolves_to_the_service_request_id_once_accepted(client, key, district):
    r = post(client, api_key=key, **WHERE)
    assert r.status_code == 201
    token = r.json()[0]["token"]
    order = WorkOrder.objects.get()
    assert client.get(f"/open311/v2/tokens/{token}.json").json() == [{"service_request_id": None, "token": token}]
    # Queued submissions are not published as requests yet.
    assert client.get(f"/open311/v2/requests/{order.number}.json").status_code == 404
    work_order_accept(order=order, actor=district.user("operator"), auto_dispatch=False)
    got = client.get(f"/open311/v2/tokens/{token}.json")
    assert got.json() == [{"service_request_id": order.number, "token": token}]
    root = ET.fromstring(client.get(f"/open311/v2/tokens/{token}.xml").content)
    assert root.findtext("request/service_request_id") == order.number and root.findtext("request/token") == token
    validate(client.get(f"/open311/v2/requests/{order.number}.json").json(), "requests.json")


def test_a_rejected_submission_resolves_too(client, key, district):
    token = post(client, api_key=key, **WHERE).json()[0]["token"]
    order = WorkOrder.objects.get()
    work_order_reject(order=order, actor=district.user("operator"), reason="重复")
    data = client.get(f"/open311/v2/requests/{order.number}.json").json()
    assert data[0]["status"] == "closed" and data[0]["status_notes"] == "不予受理"
    assert client.get(f"/open311/v2/tokens/{token}.json").json()[0]["service_request_id"] == order.number


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_key_whose_account_lacks_the_role_is_403_not_500(client, district, fmt):
    handler = district.user("handler_a")
    _, raw = open311_api_key_create(name="wrong account", user=handler)
    r = post(client, fmt, api_key=raw, **WHERE)
    assert r.status_code == 403
    if fmt == "json":
        error = r.json()[0]
        assert error["code"] == 403 and "api_key" in error["description"] and "网格员" in error["description"]
    else:
        root = ET.fromstring(r.content)
        assert root.tag == "errors" and root.findtext("error/code") == "403"
        assert "api_key" in root.findtext("error/description")
    assert not WorkOrder.objects.exists() and not ServiceRequest.objects.exists()


def test_a_key_of_a_deactivated_account_is_403(client, district):
    user = make_user("gone", district.grid_a, Role.GRID_WORKER)
    _, raw = open311_api_key_create(name="gone", user=user)
    user.is_active = False
    user.save()
    assert post(client, api_key=raw, **WHERE).status_code == 403


def test_service_definition_from_the_attributes(client, definition):
    services = client.get("/open311/v2/services.json").json()
    assert {s["service_code"]: s["metadata"] for s in services} == {"0101": True, "0102": False}
    data = client.get("/open311/v2/services/0101.json").json()
    validate(data, "service-definition.json")
    assert [(a["code"], a["datatype"], a["required"], a["order"]) for a in data["attributes"]] == [
        ("kind", "singlevaluelist", True, 1),
        ("count", "number", False, 2),
        ("seen_at", "datetime", False, 3),
        ("note", "text", False, 4),
        ("goods", "multivaluelist", False, 5),
    ]
    assert data["attributes"][0]["values"] == [{"key": "stall", "name": "摆摊"}, {"key": "parking", "name": "停车"}]
    assert "values" not in data["attributes"][1]
    root = ET.fromstring(client.get("/open311/v2/services/0101.xml").content)
    assert [v.findtext("key") for v in root.findall("attributes/attribute")[4].findall("values/value")] == [
        "fruit",
        "food",
        "toys",
    ]
    assert client.get("/open311/v2/services/0102.json").json() == {"service_code": "0102", "attributes": []}


def test_valid_attributes_are_stored_with_the_order_and_shown_to_handlers(client, key, definition, district):
    r = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            **WHERE,
            "attribute[kind]": "stall",
            "attribute[count]": "3",
            "attribute[seen_at]": "2026-11-30T08:00:00+08:00",
            "attribute[note]": "早上七点开始",
            "attribute[goods][]": ["fruit", "toys"],
        },
    )
    assert r.status_code == 201, r.content
    stored = ServiceRequest.objects.get()
    assert stored.attributes == {
        "kind": "stall",
        "count": 3,
        "seen_at": "2026-11-30T08:00:00+08:00",
        "note": "早上七点开始",
        "goods": ["fruit", "toys"],
    }
    order = stored.order
    web = Client()
    web.force_login(district.user("operator"))
    page = web.get(f"/orders/{order.number}/").content.decode()
    assert "Open311" in page and "摆摊" in page and "水果、玩具" in page and "早上七点开始" in page


@pytest.mark.parametrize(
    "params,fields",
    [
        ({}, ["attribute[kind]"]),
        ({"attribute[kind]": "boat"}, ["attribute[kind]"]),
        ({"attribute[kind]": ["stall", "parking"]}, ["attribute[kind]"]),
        ({"attribute[kind]": "stall", "attribute[count]": "many"}, ["attribute[count]"]),
        ({"attribute[kind]": "stall", "attribute[seen_at]": "yesterday"}, ["attribute[seen_at]"]),
        ({"attribute[kind]": "stall", "attribute[note]": "x" * 4001}, ["attribute[note]"]),
        ({"attribute[kind]": "stall", "attribute[goods][]": ["fruit", "cars"]}, ["attribute[goods][]"]),
        ({"attribute[kind]": "stall", "attribute[colour]": "red"}, ["attribute[colour]"]),
        ({"attribute[count]": "NaN", "attribute[goods][]": "cars"}, ["attribute[kind]", "attribute[count]"]),
    ],
)
def test_bad_attributes_answer_the_specs_errors(client, key, definition, params, fields):
    for fmt in ("json", "xml"):
        r = client.post(f"/open311/v2/requests.{fmt}", {"api_key": key, **WHERE, **params})
        assert r.status_code == 400, r.content
        if fmt == "json":
            descriptions = [e["description"] for e in r.json()]
            assert all(e["code"] == 400 for e in r.json())
        else:
            root = ET.fromstring(r.content)
            assert root.tag == "errors"
            descriptions = [e.findtext("description") for e in root.findall("error")]
        for field in fields:
            assert any(d.startswith(field + ":") for d in descriptions), (field, descriptions)
    assert not WorkOrder.objects.exists()


def test_error_bodies_are_a_list_of_code_and_description(client, key, definition):
    r = client.post("/open311/v2/requests.json", {"api_key": key, **WHERE, "attribute[count]": "x"})
    body = r.json()
    assert isinstance(body, list) and len(body) == 2
    assert all(set(e) == {"code", "description"} for e in body)
    json.dumps(body)
