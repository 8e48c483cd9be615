"""GET /api/v1/locate: staff only, the gazetteer's answer, documented in the schema."""

from grids.models import RoadSegment


def test_locate_needs_a_staff_token(api):
    assert api().get("/api/v1/locate", {"address": "幸福里小区"}).status_code == 401


def test_locate_places_an_address_with_confidence_and_evidence(api, district):
    RoadSegment.objects.create(road="和平路", community=district.community_b, start=1, end=199)
    r = api("handler_a").get("/api/v1/locate", {"address": "和平路一百二十号"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "placed"
    assert body["community"] == {"code": "S-B-1", "name": "乙一社区"}
    assert body["street"]["code"] == "S-B"
    assert 0.6 <= body["confidence"] <= 1 and body["method"] == "road"
    assert "和平路120号" in body["evidence"][0]


def test_locate_refuses_an_address_outside_the_district(api, district):
    body = api("operator").get("/api/v1/locate", {"address": "上海市徐汇区漕溪北路 13812345678"}).json()
    assert body["status"] == "outside" and body["community"] is None and body["grid"] is None
    assert "13812345678" not in body["normalized"]


def test_locate_without_an_address_is_a_400_naming_it(api):
    r = api("operator").get("/api/v1/locate")
    assert r.status_code == 400 and "address" in r.json()["errors"]
    r = api("operator").get("/api/v1/locate", {"address": "路" * 300})
    assert r.status_code == 400 and "address" in r.json()["errors"]


def test_locate_is_in_the_openapi_schema(api):
    schema = api("operator").get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    op = schema["paths"]["/api/v1/locate"]["get"]
    assert op["operationId"] == "locate_address"
    assert any(p["name"] == "address" and p["required"] for p in op["parameters"])
    assert "200" in op["responses"] and "401" in op["responses"]
