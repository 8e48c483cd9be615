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


def test_duplicates_api_ranks_by_text_and_place_within_scope(api, district, log_call):
    order = log_call(description="幸福里小区东门每天傍晚有人摆摊卖菜，堵住出入口")
    log_call(description="幸福里小区3号楼楼道里堆满了杂物", caller_phone="13800000002")
    params = {"text": "东门天天有小贩摆摊卖菜，进出不方便", "address": "幸福里小区东门"}
    body = api("operator").get("/api/v1/duplicates", params).json()
    assert [row["number"] for row in body] == [order.number]
    assert body[0]["place_score"] == 1.0 and body[0]["same_caller"] is False
    # handler_b's street has no such order in scope: nothing leaks from street A.
    assert api("handler_b").get("/api/v1/duplicates", params).json() == []
    r = api("operator").get("/api/v1/duplicates", {"address": "幸福里小区"})
    assert r.status_code == 400 and "text" in r.json()["errors"]
    assert api().get("/api/v1/duplicates", params).status_code == 401
