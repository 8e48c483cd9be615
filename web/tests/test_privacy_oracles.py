"""Leaks through answers that are not the order itself (issue #9, the audit after the
crawl): a search that matches on data the searcher may not read tells them that data.
Planted confidential and ordinary callers (workorders/tests/planted.py)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from workorders.tests.planted import plant

FAKE_NAME, FAKE_PHONE = "司马光", "13887654321"  # same digits as the planted 13812345678, reordered


@pytest.fixture
def planted(district, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return plant(district)


def _duplicates(district, username: str, **params) -> list[dict]:
    api = APIClient()
    api.force_authenticate(district.user(username))
    r = api.get("/api/v1/duplicates", {"address": "幸福里小区", **params})
    assert r.status_code == 200, r.content
    return r.json()


def test_a_unit_cannot_learn_a_confidential_callers_orders_by_guessing_their_number(district, planted):
    secret = planted.orders["secret_a"]
    real = _duplicates(district, "handler_a", text="想问一下进展", caller_phone=planted.people["secret_a"].phone)
    guessed = _duplicates(district, "handler_a", text="想问一下进展", caller_phone=FAKE_PHONE)
    assert real == guessed
    assert not any(row["same_caller"] for row in real)
    # The operator, who takes the call, does match the caller's own orders.
    found = _duplicates(district, "operator", text="想问一下进展", caller_phone=planted.people["secret_a"].phone)
    assert any(row["number"] == secret.number and row["same_caller"] for row in found)


@pytest.mark.parametrize("username", ["handler_a", "dispatcher", "supervisor", "handler_community_a"])
def test_a_text_search_for_a_name_and_number_finds_only_what_the_redacted_text_would(district, planted, username):
    person = planted.people["secret_a"]
    real = _duplicates(district, username, text=f"{person.name}{person.phone}")
    fake = _duplicates(district, username, text=f"{FAKE_NAME}{FAKE_PHONE}")
    assert [r["number"] for r in real] == [r["number"] for r in fake]
    assert planted.orders["secret_a"].number not in [r["number"] for r in real]
    operator = _duplicates(district, "operator", text=f"{person.name}{person.phone}")
    assert planted.orders["secret_a"].number in [r["number"] for r in operator]  # the probe works


def test_a_conflict_on_an_order_that_left_the_callers_scope_meanwhile_is_a_404(district, log_call, monkeypatch):
    """The 409 body echoes the order as it is now; if the caller may no longer see it
    (returned and reassigned to another street between their read and their action),
    the answer is the 404 of any order outside their scope, not its state (nor a 500)."""
    from api import views
    from api.tokens import api_token_create
    from workorders.services import work_order_assign, work_order_reassign, work_order_return

    order = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    stale = order.version
    service, serializer = views.ACTIONS["sign"]

    def moved_meanwhile(*, expected_version=None, **kwargs):
        o = work_order_return(
            order=order.pk, actor=district.user("handler_a"), reason="not_territory", note="不在本街道"
        )
        work_order_reassign(order=o, actor=district.user("dispatcher"), unit=district.street_b)
        return service(expected_version=expected_version, **kwargs)

    monkeypatch.setitem(views.ACTIONS, "sign", (moved_meanwhile, serializer))
    monkeypatch.setattr(views.WorkOrderViewSet, "action_sign", views._action_view("sign"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=district.user('handler_a'))[1]}")
    r = api.post(f"/api/v1/orders/{order.number}/sign", {}, format="json", HTTP_IF_MATCH=f'"{stale}"')
    assert r.status_code == 404, r.content
    assert "张三" not in r.content.decode() and "street" not in r.json()


@pytest.mark.parametrize("key", ["secret_a", "plain_a"])
def test_a_knowledge_base_draft_from_an_order_carries_no_callers_data(client, district, planted, key):
    """建议入库: the draft is read by every editor and, once published, by every unit."""
    from knowledge.models import Article

    order = planted.orders[key]
    if key == "plain_a":  # not yet answered: a draft needs an approved reply
        from workorders.services import work_order_approve, work_order_reply

        order = work_order_reply(
            order=order, actor=district.user("handler_community_a"), reply=f"已联系{planted.people[key].name}，已处理。"
        )
        order = work_order_approve(order=order, actor=district.user("dispatcher"))
    client.force_login(district.user("dispatcher"))
    r = client.post(f"/kb/from-order/{order.number}/")
    assert r.status_code == 302, r.content[:300]
    article = Article.objects.get(source_order=order)
    text = " ".join([article.title, article.question, article.body])
    person = planted.people[key]
    assert not [s for s in person.secrets if s in text], text
    assert "[电话]" in text or "[车牌]" in text


def test_open311_and_open_data_carry_no_callers_data(district, planted):
    """Anyone on the internet reads these: no caller's data of any planted order, and no
    confidential caller's order at all."""
    import json

    from django.test import Client
    from django.utils import timezone

    from open311.opendata import open_data_rows

    public = Client()
    listed = public.get("/open311/v2/requests.json")
    assert listed.status_code == 200
    bodies = [listed.json()] + [
        public.get(f"/open311/v2/requests/{order.number}.json").json() for order in planted.orders.values()
    ]
    rows = open_data_rows(day=timezone.localdate())
    text = json.dumps([bodies, rows], ensure_ascii=False, default=str)  # Chinese as itself, not \u escapes
    secrets = [s for key, p in planted.people.items() for s in p.secrets[key == "patrol" :]]
    assert not [s for s in secrets if s in text]
    confidential = [o.number for o in planted.orders.values() if o.caller_confidential]
    assert confidential and not [n for n in confidential if n in json.dumps([listed.json(), rows], default=str)]
    assert any(o.number in text for o in planted.orders.values() if not o.caller_confidential)
