"""GeoReport v2: responses validated against the Open311 project's JSON Schemas
(vendored in schemas/), XML checked element by element against the spec's names."""

import json
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from attachments.services import attachment_add
from hotline.testing import image_bytes
from open311.models import ApiKey
from open311.services import open311_api_key_create
from workorders.models import WorkOrder
from workorders.services import work_order_accept, work_order_assign

SCHEMAS = Path(__file__).parent / "schemas"
REGISTRY = Registry().with_resources(
    (p.name, Resource.from_contents(json.loads(p.read_text()), default_specification=DRAFT4))
    for p in SCHEMAS.glob("*.json")
)
SPEC_REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def validate(data, schema_name: str) -> None:
    schema = json.loads((SCHEMAS / schema_name).read_text())
    validator = jsonschema.Draft4Validator(schema, registry=REGISTRY, format_checker=jsonschema.FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert not errors, errors


def test_schema_validation_can_fail():
    with pytest.raises(AssertionError):
        validate([{"service_request_id": 1, "status": "pending"}], "requests.json")


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def key(district):
    _, raw = open311_api_key_create(name="邻市 311", user=district.user("grid_worker_a"))
    return raw


def xml(response):
    assert response["Content-Type"] == "text/xml"
    return ET.fromstring(response.content)


def test_discovery(client, district):
    r = client.get("/open311/v2/discovery.json")
    # The spec's bare media types: SeeClickFix's validator compares them verbatim.
    assert r["Content-Type"] == "application/json"
    data = r.json()
    assert set(data) == {"changeset", "contact", "key_service", "endpoints"}
    assert data["contact"] and data["key_service"] and data["changeset"]
    assert [e["type"] for e in data["endpoints"]] == ["production", "test"]
    for endpoint in data["endpoints"]:
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert endpoint["url"] == "http://testserver/open311/v2"
        assert endpoint["changeset"] == data["changeset"]


def test_discovery_parses_as_the_specs_xml_with_two_endpoints(client, district, settings):
    settings.HOTLINE_OPEN311_TEST_URL = "https://staging.example.org/open311/v2"
    r = client.get("/open311/v2/discovery.xml")
    assert r["Content-Type"] == "text/xml"
    root = ET.fromstring(r.content)
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoints = root.findall("endpoints/endpoint")
    assert len(endpoints) == 2
    for endpoint, kind in zip(endpoints, ("production", "test"), strict=True):
        assert [c.tag for c in endpoint] == ["specification", "url", "changeset", "type", "formats"]
        assert endpoint.findtext("type") == kind
        assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
    assert endpoints[1].findtext("url") == "https://staging.example.org/open311/v2"


def test_every_response_has_the_bare_media_type(client, district):
    for path in ("discovery", "services", "services/0101", "requests", "services/nope"):
        assert client.get(f"/open311/v2/{path}.json")["Content-Type"] == "application/json"
        assert client.get(f"/open311/v2/{path}.xml")["Content-Type"] == "text/xml"


def test_service_list_from_minor_categories(client, district):
    data = client.get("/open311/v2/services.json").json()
    validate(data, "services.json")
    assert [s["service_code"] for s in data] == ["0101", "0102"]
    # metadata only where the service definition has attributes (none defined here).
    assert data[0]["group"] == "市容环境" and data[0]["metadata"] is False
    root = xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    service = root.find("service")
    assert [c.tag for c in service] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert service.findtext("metadata") == "false" and service.findtext("type") == "realtime"


def test_service_definition(client, district):
    from open311.models import AttributeValue, ServiceAttribute

    kind = ServiceAttribute.objects.create(
        category=district.cat_territorial, code="kind", datatype="singlevaluelist", description="类型"
    )
    AttributeValue.objects.create(attribute=kind, key="stall", name="摆摊", order=1)
    data = client.get("/open311/v2/services/0101.json").json()
    validate(data, "service-definition.json")
    assert data["attributes"][0]["code"] == "kind"
    root = xml(client.get("/open311/v2/services/0101.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key").text == "stall"
    r = client.get("/open311/v2/services/nope.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404


def test_post_request_creates_a_submitted_order_through_the_service(client, key, district):
    r = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "0101",
            "lat": "39.905",
            "long": "116.305",
            "description": "路口有人占道摆摊，电话 13812345678",
            "first_name": "三",
            "last_name": "张",
            "phone": "13812345678",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    # Queued for 受理: the spec's token, not yet a service_request_id.
    assert list(body[0]) == ["token", "service_notice", "account_id"]
    order = WorkOrder.objects.get(open311__token=body[0]["token"])
    assert (order.channel, order.status) == ("open311", "submitted")
    assert order.grid == district.grid_a and order.caller_name == "张 三"
    assert order.events.get().kind == "submit"
    assert order.number not in r.content.decode()
    # Accepted, it is an order: GET it back; the published description has the number masked.
    work_order_accept(order=order, actor=district.user("operator"), auto_dispatch=False)
    got = client.get(f"/open311/v2/requests/{order.number}.json").json()
    validate(got, "requests.json")
    assert got[0]["status"] == "open" and got[0]["status_notes"] == "待派单"
    assert "13812345678" not in json.dumps(got, ensure_ascii=False) and "138****5678" in got[0]["description"]
    assert [c.tag for c in xml(client.get(f"/open311/v2/requests/{order.number}.xml")).find("request")] == (
        SPEC_REQUEST_FIELDS
    )


def test_post_as_xml_answers_xml(client, key, district):
    r = client.post(
        "/open311/v2/requests.xml",
        {"api_key": key, "service_code": "0102", "address_string": "和平路88号", "description": "违建"},
    )
    assert r.status_code == 201
    root = xml(r)
    assert root.tag == "service_requests" and root.find("request/token").text


@pytest.mark.parametrize(
    "params,status,needle",
    [
        ({"service_code": "0101", "lat": "39.9", "long": "116.3"}, 403, "api_key"),
        ({"api_key": "wrong", "service_code": "0101", "lat": "39.9", "long": "116.3"}, 403, "api_key"),
        ({"api_key": "{key}", "lat": "39.9", "long": "116.3"}, 400, "service_code"),
        ({"api_key": "{key}", "service_code": "9999", "lat": "39.9", "long": "116.3"}, 400, "service_code"),
        ({"api_key": "{key}", "service_code": "0101", "description": "x"}, 400, "long"),
        ({"api_key": "{key}", "service_code": "0101", "lat": "north", "long": "116.3"}, 400, "lat"),
        ({"api_key": "{key}", "service_code": "0101", "lat": "95", "long": "116.3"}, 400, "lat"),
        (
            {"api_key": "{key}", "service_code": "0101", "lat": "39.9", "long": "116.3", "description": "x" * 4001},
            400,
            "description",
        ),
        (
            {"api_key": "{key}", "service_code": "0101", "lat": "39.9", "long": "116.3", "attribute[colour]": "red"},
            400,
            "colour",
        ),
        (
            {
                "api_key": "{key}",
                "service_code": "0101",
                "lat": "39.9",
                "long": "116.3",
                "attribute[request_type]": "x",
            },
            400,
            "attribute[request_type]",
        ),
    ],
)
def test_post_errors_in_the_spec_format(client, key, district, params, status, needle):
    params = {k: v.format(key=key) for k, v in params.items()}
    for fmt in ("json", "xml"):
        r = client.post(f"/open311/v2/requests.{fmt}", params)
        assert r.status_code == status
        if fmt == "json":
            assert r.json()[0]["code"] == status and needle in r.json()[0]["description"]
        else:
            root = xml(r)
            assert root.tag == "errors" and root.find("error/code").text == str(status)
    assert not WorkOrder.objects.exists()


def test_a_key_without_service_account_needs_the_phone(client, district):
    _, raw = open311_api_key_create(name="anon")
    r = client.post(
        "/open311/v2/requests.json", {"api_key": raw, "service_code": "0101", "lat": "39.9", "long": "116.3"}
    )
    assert r.status_code == 400 and "phone" in r.json()[0]["description"]
    ApiKey.objects.update(is_active=False)
    r = client.post(
        "/open311/v2/requests.json",
        {"api_key": raw, "service_code": "0101", "lat": "39.9", "long": "116.3", "phone": "13800000000"},
    )
    assert r.status_code == 403


@pytest.fixture
def orders(log_call, district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    a = log_call()
    b = log_call(category=district.cat_department, caller_confidential=True)
    c = log_call(category=district.cat_department)
    work_order_assign(order=a, actor=district.user("dispatcher"), unit=district.street_a)
    attachment_add(order=a, upload=SimpleUploadedFile("p.png", image_bytes("PNG")))
    from workorders.services import work_order_answer_now

    work_order_answer_now(order=c, actor=district.user("operator"), answer="已解答")
    return a, b, c


def test_get_requests_maps_status_agency_expected_and_no_media(client, orders, district):
    a, b, c = orders
    data = client.get("/open311/v2/requests.json").json()
    validate(data, "requests.json")
    by_id = {r["service_request_id"]: r for r in data}
    assert b.number not in by_id  # a confidential caller's order is never published
    assert by_id[a.number]["status"] == "open" and by_id[a.number]["agency_responsible"] == "甲街道"
    handle_due = a.deadlines.get(stage="handle", state="open").due_at
    assert by_id[a.number]["expected_datetime"] == timezone.localtime(handle_due).isoformat(timespec="seconds")
    # Photos are not published until staff approve one (see open311.services).
    assert a.attachments.exists() and by_id[a.number]["media_url"] is None
    assert by_id[c.number]["status"] == "closed" and by_id[c.number]["expected_datetime"] is None
    assert by_id[c.number]["status_notes"] == "已办结"


@pytest.mark.parametrize(
    "query,expected",
    [
        ("status=open", "a"),
        ("status=closed", "c"),
        ("status=open,closed", "ac"),
        ("service_code=0101", "a"),
        ("service_code=0102,0101", "ac"),
        ("service_request_id={c},{a}", "ac"),
        ("service_request_id={c}&status=open", "c"),  # other filters ignored with ids
        ("start_date={future}", ""),
        ("end_date={past}", ""),
        ("start_date={past}", "ac"),
    ],
)
def test_get_requests_filters(client, orders, query, expected):
    a, b, c = orders
    query = query.format(
        a=a.number,
        c=c.number,
        future=(timezone.now() + timedelta(days=1)).isoformat().replace("+", "%2B"),
        past=(timezone.now() - timedelta(days=1)).isoformat().replace("+", "%2B"),
    )
    got = {r["service_request_id"] for r in client.get(f"/open311/v2/requests.json?{query}").json()}
    assert got == {{"a": a, "c": c}[k].number for k in expected}


@pytest.mark.parametrize(
    "query",
    ["status=pending", "start_date=yesterday", "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"],
)
def test_get_requests_bad_filters_are_400(client, district, query):
    r = client.get(f"/open311/v2/requests.json?{query}")
    assert r.status_code == 400 and r.json()[0]["code"] == 400


def test_old_orders_fall_outside_the_default_90_days(client, orders):
    a, b, c = orders
    WorkOrder.objects.filter(pk=a.pk).update(created_at=timezone.now() - timedelta(days=100))
    got = {r["service_request_id"] for r in client.get("/open311/v2/requests.json").json()}
    assert got == {c.number}


def test_unknown_request_and_token(client, orders):
    a, b, c = orders
    assert client.get("/open311/v2/requests/nope.xml").status_code == 404
    assert client.get(f"/open311/v2/requests/{b.number}.json").status_code == 404
    # An order number is not a token: tokens are only handed out by POST.
    assert client.get(f"/open311/v2/tokens/{a.number}.json").status_code == 404
    assert client.get("/open311/v2/tokens/nope.json").status_code == 404


def test_unknown_format_is_404(client, district):
    assert client.get("/open311/v2/services.csv").status_code == 404


PERSONAL = (
    "我是李四，手机13912345678，座机010-87654321，身份证110101199003071234，邮箱ls@example.com，"
    "车牌京A12345，住幸福里小区3号楼2单元501，李先生天天在楼下摆摊。"
)


def test_published_description_and_address_are_redacted_in_both_formats(client, log_call):
    order = log_call(
        caller_name="李四", caller_phone="13700001111", description=PERSONAL, address="幸福里3号楼2单元501"
    )
    data = client.get(f"/open311/v2/requests/{order.number}.json").json()
    validate(data, "requests.json")
    assert data[0]["description"] == (
        "我是[姓名]，手机139****5678，座机[电话]，身份证[身份证号]，邮箱[邮箱]，"
        "车牌[车牌]，住幸福里小区3号楼2单元[门牌]，[姓名]天天在楼下摆摊。"
    )
    assert data[0]["address"] == "幸福里3号楼2单元[门牌]"
    request = xml(client.get(f"/open311/v2/requests/{order.number}.xml")).find("request")
    assert request.findtext("description") == data[0]["description"]
    assert request.findtext("address") == data[0]["address"]


def test_list_never_publishes_confidential_orders_caller_notes_reply_or_code(client, log_call, district):
    from workorders.services import work_order_answer_now

    visible = log_call(caller_name="王五", caller_phone="13700002222", description="王五反映路灯不亮")
    secret = log_call(caller_confidential=True, description="保密来电的诉求内容")
    answered = log_call(caller_name="赵六", caller_phone="13700003333")
    work_order_answer_now(order=answered, actor=district.user("operator"), answer="内部答复：已告知赵六本人")
    assigned = log_call()
    work_order_assign(
        order=assigned, actor=district.user("dispatcher"), unit=district.street_a, note="内部说明：先联系物业"
    )
    for fmt in ("json", "xml"):
        for url in (f"/open311/v2/requests.{fmt}", f"/open311/v2/requests/{visible.number}.{fmt}"):
            body = client.get(url).content.decode()
            assert visible.number in body
            assert secret.number not in body and "保密来电" not in body
            for private in ("王五", "赵六", "13700002222", "内部答复", "内部说明", visible.tracking_code):
                assert private not in body, (url, private)
    assert client.get(f"/open311/v2/requests/{secret.number}.json").status_code == 404
    assert client.get(f"/open311/v2/tokens/{secret.number}.json").status_code == 404


def test_every_response_of_this_suite_was_scanned(client, log_call, publication_scan):
    log_call(description=PERSONAL)
    client.get("/open311/v2/requests.json")
    client.get("/open311/v2/requests.xml")
    assert len(publication_scan) == 2


def test_the_scan_catches_unredacted_output(db):
    from open311.tests.conftest import check_published

    for leak in ("电话010-87654321", "ls@example.com", "身份证110101199003071234", "3号楼2单元501", "京A12345"):
        with pytest.raises(AssertionError):
            check_published(leak)
