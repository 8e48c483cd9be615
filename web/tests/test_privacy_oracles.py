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
