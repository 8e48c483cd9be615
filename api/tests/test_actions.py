"""Every workflow action over HTTP, each calling the same service as the pages."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from api.tests.conftest import check_response_masking
from workorders.models import CoHandling, ExtensionRequest, WorkOrder


def post(client, url, data=None, **headers):
    return client.post(url, data=json.dumps(data or {}), content_type="application/json", **headers)


def act(api, user, order, kind, data=None, expect=200):
    r = post(api(user), f"/api/v1/orders/{order.number}/{kind}", data)
    assert r.status_code == expect, (kind, r.json())
    return r.json()


@pytest.fixture
def assigned(api, log_call, district):
    order = log_call()
    act(api, "dispatcher", order, "assign", {"unit": district.street_a.pk, "note": "属地"})
    return order


@pytest.fixture
def in_progress(api, assigned):
    act(api, "handler_a", assigned, "sign")
    return assigned


def test_full_life_through_the_api(api, in_progress):
    o = in_progress
    act(api, "handler_a", o, "contact", {"note": "已电话联系"})
    assert act(api, "handler_a", o, "reply", {"reply": "已清理"})["status"] == "replied"
    assert act(api, "dispatcher", o, "approve")["status"] == "callback"
    body = act(api, "operator", o, "callback", {"contacted": True, "resolution": "solved", "satisfaction": "satisfied"})
    assert body["status"] == "closed"
    events = api("operator").get(f"/api/v1/orders/{o.number}/events").json()
    assert [e["kind"] for e in events] == [
        "log_call",
        "assign",
        "sign",
        "contact",
        "reply",
        "approve",
        "callback_close",
    ]
    deadlines = api("operator").get(f"/api/v1/orders/{o.number}/deadlines").json()
    assert {d["stage"] for d in deadlines} >= {"sign", "contact", "handle", "callback"}


def test_unsatisfied_callback_reopens_and_send_back(api, in_progress):
    o = in_progress
    act(api, "handler_a", o, "reply", {"reply": "已处理"})
    assert act(api, "dispatcher", o, "send_back", {"note": "照片不清楚"})["status"] == "in_progress"
    act(api, "handler_a", o, "reply", {"reply": "已处理并拍照"})
    act(api, "dispatcher", o, "approve")
    body = act(
        api, "operator", o, "callback", {"contacted": True, "resolution": "unsolved", "satisfaction": "unsatisfied"}
    )
    assert body["status"] == "in_progress" and body["reopen_count"] == 1


def test_unreachable_callback_keeps_waiting(api, in_progress):
    o = in_progress
    act(api, "handler_a", o, "reply", {"reply": "已处理"})
    act(api, "dispatcher", o, "approve")
    assert act(api, "operator", o, "callback", {"contacted": False})["status"] == "callback"


def test_return_and_reassign(api, assigned, district):
    body = act(api, "handler_a", assigned, "return", {"reason": "not_territory", "note": "不在本街道"})
    # The handler no longer sees the order once it is returned: only the bare outcome.
    assert body["status"] == "returned"
    assert act(api, "dispatcher", assigned, "reassign", {"unit": district.street_b.pk})["status"] == "assigned"
    assert act(api, "handler_b", assigned, "sign")["status"] == "in_progress"


def test_return_needs_a_valid_reason(api, assigned):
    r = post(api("handler_a"), f"/api/v1/orders/{assigned.number}/return", {"reason": "lazy", "note": "x"})
    assert r.status_code == 400 and "reason" in r.json()["errors"]


def test_sub_dispatch_and_return_up(api, in_progress, district):
    o = in_progress
    assert act(api, "handler_a", o, "sub_dispatch", {"unit": district.community_a.pk})["status"] == "assigned"
    assert act(api, "handler_community_a", o, "return_up", {"note": "需街道协调"})["status"] == "in_progress"
    assert WorkOrder.objects.get(pk=o.pk).current_unit == district.street_a


def test_extension_request_approve_and_deny(api, in_progress):
    o = in_progress
    due = (timezone.now() + timedelta(days=30)).isoformat()
    act(api, "handler_a", o, "request_extension", {"proposed_due": due, "reason": "需要协调产权单位"})
    act(api, "dispatcher", o, "approve_extension", {"note": "同意"})
    assert ExtensionRequest.objects.get(order=o).state == "approved"
    later = (timezone.now() + timedelta(days=60)).isoformat()
    act(api, "handler_a", o, "request_extension", {"proposed_due": later, "reason": "再延"})
    act(api, "dispatcher", o, "deny_extension", {"note": "不同意"})
    assert ExtensionRequest.objects.filter(order=o, state="denied").count() == 1


def test_extension_with_bad_date_names_the_field(api, in_progress):
    r = post(
        api("handler_a"),
        f"/api/v1/orders/{in_progress.number}/request_extension",
        {"proposed_due": "soon", "reason": "x"},
    )
    assert r.status_code == 400 and "proposed_due" in r.json()["errors"]


def test_cohandlers_sign_and_report(api, in_progress, district):
    o = in_progress
    act(api, "handler_a", o, "add_cohandlers", {"units": [district.dept.pk], "note": "请城管协助"})
    assert api("handler_dept").get(f"/api/v1/orders/{o.number}").status_code == 200
    act(api, "handler_dept", o, "cohandler_sign")
    act(api, "handler_dept", o, "cohandler_report", {"report": "已执法"})
    assert CoHandling.objects.get(order=o).state == "reported"


def test_supervisor_urges(api, assigned):
    act(api, "supervisor", assigned, "urge", {"note": "尽快签收"})
    assert assigned.events.filter(kind="urge").exists()


def test_public_channel_accept_reject_merge(api, district):
    from workorders.services import work_order_submit

    def submitted():
        return work_order_submit(channel="web", title="噪音", description="夜间施工", caller_phone="13700000000")

    a, b, c = submitted(), submitted(), submitted()
    assert act(api, "operator", a, "accept", {"category": "0101"})["status"] == "accepted"
    assert act(api, "operator", b, "reject", {"reason": "非本区事项"})["status"] == "rejected"
    assert act(api, "operator", c, "merge", {"into": a.number})["status"] == "merged"


def test_answer_now(api, log_call):
    o = log_call()
    assert act(api, "operator", o, "answer_now", {"answer": "已告知办理流程"})["status"] == "closed"


def test_wrong_role_is_403(api, assigned):
    r = post(api("dispatcher"), f"/api/v1/orders/{assigned.number}/sign")
    assert r.status_code == 403 and r.json()["code"] == "not_allowed"


def test_unknown_field_in_action_body_is_400(api, assigned):
    r = post(api("handler_a"), f"/api/v1/orders/{assigned.number}/sign", {"force": True})
    assert r.status_code == 400 and "force" in r.json()["errors"]


def test_masking_hook_fails_on_a_leak(district, rf):
    from django.http import JsonResponse

    response = JsonResponse({"caller": {"phone": "13812345678"}})
    response.wsgi_request = rf.get("/api/v1/orders/x")
    with pytest.raises(AssertionError, match="unmasked"):
        check_response_masking(response, district.user("handler_a"))
    check_response_masking(response, district.user("operator"))  # operators may see it


def test_every_action_checks_if_match_the_same_way_urge_included(api, in_progress):
    """Issue 13: every action's service takes expected_version, so the API passes If-Match
    to each one without inspecting signatures; urging used to ignore a stale If-Match."""
    o = WorkOrder.objects.get(pk=in_progress.pk)
    stale = f'"{o.version - 1}"'
    r = post(api("supervisor"), f"/api/v1/orders/{o.number}/urge", {"note": "请加快"}, HTTP_IF_MATCH=stale)
    assert r.status_code == 409 and r.json()["code"] == "conflict", r.json()
    assert not o.events.filter(kind="urge").exists()
    r = post(api("supervisor"), f"/api/v1/orders/{o.number}/urge", {"note": "请加快"}, HTTP_IF_MATCH=f'"{o.version}"')
    assert r.status_code == 200 and r.headers["ETag"] == f'"{o.version + 1}"'


def test_an_action_reads_the_order_for_its_scope_without_joins_and_answers_from_the_locked_row(api, assigned):
    """A sign reads the order twice: the scope check (only the columns the rule reads,
    no joined rows) and the service's lock (with what the answer shows). Before, the view
    also loaded it through the scope's condition with seven joins first and again after
    the commit — more CPU than the transition itself (bench/action_profile.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api("handler_a")
    with CaptureQueriesContext(connection) as q:
        r = post(client, f"/api/v1/orders/{assigned.number}/sign")
    assert r.status_code == 200, r.json()
    sqls = [x["sql"] for x in q.captured_queries]
    reads = [i for i, sql in enumerate(sqls) if sql.startswith("SELECT") and 'FROM "workorders_workorder"' in sql]
    assert len(reads) == 2, [sqls[i] for i in reads]
    scope_read, lock_read = (sqls[i] for i in reads)
    assert "JOIN" not in scope_read and '"workorders_workorder"."description"' not in scope_read
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in lock_read
    # Nothing the answer shows is read by key after the lock (category, units).
    later = [
        sql for sql in sqls[reads[1] + 1 :] if 'FROM "grids_orgunit"' in sql or 'FROM "workorders_category"' in sql
    ]
    assert not later, later
    body = r.json()
    assert body["status"] == "in_progress" and body["category"]["major"] and body["street"]["id"] == assigned.street_id
    assert r["ETag"] == f'"{body["version"]}"'


def test_an_action_on_an_order_outside_the_scope_is_404_and_changes_nothing(api, assigned):
    before = WorkOrder.objects.get(pk=assigned.pk)
    r = post(api("handler_b"), f"/api/v1/orders/{assigned.number}/sign")
    assert r.status_code == 404
    after = WorkOrder.objects.get(pk=assigned.pk)
    assert (after.status, after.version) == (before.status, before.version)
    assert post(api("handler_b"), "/api/v1/orders/20990101999999/sign").status_code == 404
