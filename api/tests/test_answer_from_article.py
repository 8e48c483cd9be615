"""POST /orders/{n}/answer_now with a knowledge-base ``article``."""

import json

import pytest

from knowledge.tests.conftest import kb, make_article  # noqa: F401  (fixtures)


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_answer_now_from_an_article_records_it_and_replies_with_its_body(api, log_call, kb):  # noqa: F811
    order = log_call()
    r = post(api("operator"), f"/api/v1/orders/{order.number}/answer_now", {"article": kb["card"].pk})
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "closed"
    order.refresh_from_db()
    assert order.reply == kb["card"].body
    payload = order.events.get(kind="answer_now").payload
    assert (payload["article"], payload["article_version"]) == (kb["card"].pk, 1)


def test_answer_now_keeps_working_without_an_article(api, log_call):
    order = log_call()
    r = post(api("operator"), f"/api/v1/orders/{order.number}/answer_now", {"answer": "已告知"})
    assert r.status_code == 200 and "article" not in order.events.get(kind="answer_now").payload


@pytest.mark.parametrize(
    "key, words", [("draft", "草稿"), ("expired", "不在有效期内"), ("retired", "已停用"), (None, "没有编号为")]
)
def test_a_draft_expired_retired_or_unknown_article_is_400_naming_it(api, log_call, kb, key, words):  # noqa: F811
    order = log_call()
    article = kb[key].pk if key else 987654
    r = post(api("operator"), f"/api/v1/orders/{order.number}/answer_now", {"article": article})
    assert r.status_code == 400
    body = r.json()
    assert words in " ".join(body["errors"]["article"])
    order.refresh_from_db()
    assert order.status == "accepted"


def test_neither_answer_nor_article_is_400(api, log_call):
    order = log_call()
    for data in ({}, {"answer": "  "}, {"article": "abc"}):
        r = post(api("operator"), f"/api/v1/orders/{order.number}/answer_now", data)
        assert r.status_code == 400, data
