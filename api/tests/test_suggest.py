"""GET /api/v1/suggestions (staff only, in the schema) and the reclassify action."""

import json

from triage.services import forget_models


def test_suggestions_need_a_staff_token(api, district):
    r = api().get("/api/v1/suggestions", {"text": "有人摆摊"})
    assert r.status_code == 401 and "WWW-Authenticate" in r
    forget_models()
    r = api("operator").get("/api/v1/suggestions", {"text": "门口有小贩摆摊占道", "community": "S-A-1"})
    assert r.status_code == 200
    body = r.json()
    assert body["method"] == "keywords"
    assert body["categories"][0] == {"code": "0101", "name": "占道经营", "confidence": 1.0}
    # The territorial category's unit is the street of the community given.
    assert body["units"][0]["id"] == district.street_a.pk and body["units"][0]["code"] == "S-A"


def test_suggestions_refuse_bad_input_naming_the_field(api, district):
    r = api("operator").get("/api/v1/suggestions", {"limit": "99"})
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert "text" in errors and "limit" in errors
    r = api("operator").get("/api/v1/suggestions", {"text": "x", "community": "nowhere"})
    assert r.status_code == 400 and "community" in r.json()["errors"]


def test_suggestions_and_reclassify_are_in_the_schema(api, district):
    schema = api("operator").get("/api/v1/schema/", {"format": "json"}).json()
    assert "text" in [p["name"] for p in schema["paths"]["/api/v1/suggestions"]["get"]["parameters"]]
    assert "/api/v1/orders/{number}/reclassify" in schema["paths"]


def test_dispatcher_reclassifies_over_the_api(api, log_call, district):
    order = log_call()
    url = f"/api/v1/orders/{order.number}/reclassify"
    body = {"category": "0102", "place": "S-B-1", "note": "实为违建"}
    r = api("operator").post(url, json.dumps(body), content_type="application/json")
    assert r.status_code == 403
    r = api("dispatcher").post(
        url, json.dumps(body), content_type="application/json", HTTP_IF_MATCH=f'"{order.version}"'
    )
    assert r.status_code == 200, r.json()
    assert r.json()["category"]["code"] == "0102"
    order.refresh_from_db()
    assert order.community == district.community_b and order.street == district.street_b
    r = api("dispatcher").post(url, json.dumps({"category": "0102"}), content_type="application/json")
    assert r.status_code == 400 and "category" in r.json()["errors"]  # nothing changes
