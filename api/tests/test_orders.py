import json

import pytest

from workorders.models import Event, WorkOrder

NEW_CALL = {
    "caller_phone": "13812345678",
    "caller_name": "张三",
    "title": "路口有人占道摆摊",
    "description": "每天傍晚在幸福里小区门口摆摊，影响通行。",
    "address": "幸福里小区东门",
    "lat": 39.905,
    "lng": 116.305,
    "category": "0101",
}


def post(client, url, data=None, **headers):
    return client.post(url, data=json.dumps(data or {}), content_type="application/json", **headers)


def test_operator_logs_a_call_and_gets_number_code_etag_and_location(api, district):
    r = post(api("operator"), "/api/v1/orders", NEW_CALL)
    assert r.status_code == 201, r.json()
    body = r.json()
    order = WorkOrder.objects.get(number=body["number"])
    assert body["status"] == "accepted"  # routing runs after commit
    assert body["tracking_code"] == order.tracking_code
    assert r["ETag"] == f'"{order.version}"'
    assert r["Location"].endswith(f"/api/v1/orders/{order.number}")
    assert body["caller"] == {"name": "张三", "phone": "13812345678", "masked": False, "confidential": False}


def test_grid_worker_submits_from_patrol(api, district):
    r = post(api("grid_worker_a"), "/api/v1/orders", {**NEW_CALL, "channel": "patrol", "caller_phone": ""})
    assert r.status_code == 201, r.json()
    assert r.json()["status"] == "submitted"


def test_handler_cannot_log_a_call(api, district):
    r = post(api("handler_a"), "/api/v1/orders", NEW_CALL)
    assert r.status_code == 403
    assert r.json()["code"] == "not_allowed"
    assert not WorkOrder.objects.exists()


def test_anonymous_gets_401_in_the_error_shape(api, district):
    r = api().get("/api/v1/orders")
    assert r.status_code == 401
    assert set(r.json()) >= {"code", "message", "errors"}


@pytest.mark.parametrize(
    "body,field",
    [
        ({**NEW_CALL, "colour": "red"}, "colour"),
        ({**NEW_CALL, "lat": "north"}, "lat"),
        ({**NEW_CALL, "lat": 91}, "lat"),
        ({**NEW_CALL, "lng": -181}, "lng"),
        ({**NEW_CALL, "lat": None}, "lat"),  # one coordinate without the other
        ({**NEW_CALL, "title": "长" * 201}, "title"),
        ({**NEW_CALL, "description": "x" * 4001}, "description"),
        ({**NEW_CALL, "category": "9999"}, "category"),
        ({**NEW_CALL, "category": "01"}, "category"),  # a major class cannot be chosen
        ({**NEW_CALL, "caller_confidential": "maybe"}, "caller_confidential"),
        ({**NEW_CALL, "caller_phone": "not a phone"}, "caller_phone"),
        ({**NEW_CALL, "urgency": "yesterday"}, "urgency"),
        ({k: v for k, v in NEW_CALL.items() if k != "title"}, "title"),
        ({**NEW_CALL, "channel": "carrier-pigeon"}, "channel"),
    ],
)
def test_bad_input_answers_400_naming_the_field_and_writes_nothing(api, district, body, field):
    r = post(api("operator"), "/api/v1/orders", body)
    assert r.status_code == 400, r.json()
    assert r.json()["code"] == "invalid_input"
    assert field in r.json()["errors"]
    assert not WorkOrder.objects.exists() and not Event.objects.exists()


def test_malformed_json_answers_400(api, district):
    r = api("operator").post("/api/v1/orders", data='{"title": ', content_type="application/json")
    assert r.status_code == 400
    assert r.json()["code"] == "parse_error" and "body" in r.json()["errors"]
    assert not WorkOrder.objects.exists()


def test_body_that_is_not_an_object_answers_400(api, district):
    r = api("operator").post("/api/v1/orders", data="[1, 2]", content_type="application/json")
    assert r.status_code == 400
    assert not WorkOrder.objects.exists()


def test_order_outside_scope_is_404_for_read_and_actions(api, log_call, district):
    order = log_call()  # street A
    assert api("handler_a").get(f"/api/v1/orders/{order.number}").status_code == 404  # not routed yet
    from workorders.services import work_order_assign

    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    assert api("handler_a").get(f"/api/v1/orders/{order.number}").status_code == 200
    handler_b = api("handler_b")
    assert handler_b.get(f"/api/v1/orders/{order.number}").status_code == 404
    assert post(handler_b, f"/api/v1/orders/{order.number}/sign").status_code == 404
    assert handler_b.get(f"/api/v1/orders/{order.number}/events").status_code == 404
    assert order.number not in {o["number"] for o in handler_b.get("/api/v1/orders").json()["results"]}
    assert order.number in {o["number"] for o in api("handler_a").get("/api/v1/orders").json()["results"]}
    order.refresh_from_db()
    assert order.status == "assigned"


def test_retrieve_masks_caller_for_handler_and_hides_confidential(api, log_call, district):
    from workorders.services import work_order_assign

    plain = log_call()
    secret = log_call(caller_confidential=True, caller_phone="13900001111")
    for o in (plain, secret):
        work_order_assign(order=o, actor=district.user("dispatcher"), unit=district.street_a)
    handler = api("handler_a")
    r = handler.get(f"/api/v1/orders/{plain.number}")
    assert r.json()["caller"] == {"name": "张*", "phone": "138****5678", "masked": True, "confidential": False}
    r = handler.get(f"/api/v1/orders/{secret.number}")
    assert r.json()["caller"]["confidential"] is True and "1111" not in r.content.decode()
    # Revealing is possible for the plain caller (audited), never for the confidential one.
    assert post(handler, f"/api/v1/orders/{plain.number}/reveal_caller").json()["phone"] == "13812345678"
    assert Event.objects.filter(order=plain, kind="reveal_caller").count() == 1
    assert post(handler, f"/api/v1/orders/{secret.number}/reveal_caller").status_code == 403


def test_masking_scan_catches_an_unmasked_number():
    """The scan itself must be able to fail."""
    from api.tests.conftest import unmasked_numbers

    assert unmasked_numbers('{"phone": "13812345678"}') == ["13812345678"]
    assert unmasked_numbers('{"phone": "138****5678", "number": "20261123000042"}') == []


def test_stale_if_match_answers_409_with_current_state(api, log_call, district):
    from workorders.services import work_order_assign

    order = log_call()
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    order.refresh_from_db()
    handler = api("handler_a")
    stale = f'"{order.version - 1}"'
    r = post(handler, f"/api/v1/orders/{order.number}/sign", HTTP_IF_MATCH=stale)
    assert r.status_code == 409
    assert r.json()["code"] == "conflict"
    assert r.json()["current"]["status"] == "assigned" and r.json()["current"]["version"] == order.version
    assert r["ETag"] == f'"{order.version}"'
    r = post(handler, f"/api/v1/orders/{order.number}/sign", HTTP_IF_MATCH=f'"{order.version}"')
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    assert r["ETag"] == f'"{order.version + 1}"'


def test_action_not_allowed_from_status_answers_409_with_allowed_actions(api, log_call, district):
    order = log_call()
    r = post(api("operator"), f"/api/v1/orders/{order.number}/reply", {"reply": "done"})
    assert r.status_code == 409
    assert r.json()["code"] == "invalid_transition"
    assert r.json()["current"]["status"] == "accepted"
    assert "assign" in r.json()["allowed"]


def test_bad_if_match_answers_400(api, log_call, district):
    order = log_call()
    r = post(
        api("dispatcher"), f"/api/v1/orders/{order.number}/assign", {"unit": district.street_a.pk}, HTTP_IF_MATCH="x"
    )
    assert r.status_code == 400 and "If-Match" in r.json()["errors"]


def test_english_messages_on_request(api, district):
    r = api("operator").get("/api/v1/orders/nope", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_errors_come_in_the_language_asked_for(api, district):
    body = {**NEW_CALL, "colour": "red"}
    en = post(api("operator"), "/api/v1/orders", body, HTTP_ACCEPT_LANGUAGE="en")
    zh = post(api("operator"), "/api/v1/orders", body, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert en.json()["message"] == "Invalid request data."
    assert zh.json()["message"] == "请求数据有误。"
    assert en.json()["errors"].keys() == zh.json()["errors"].keys() == {"colour"}
