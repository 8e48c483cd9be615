"""What one API intake sends to the database (issue 14): the order's own transaction and
nothing else — no savepoint inside it, no read after it to build the answer."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.tests.test_orders import NEW_CALL, post
from workorders import outbox


@pytest.fixture(autouse=True)
def _no_worker(monkeypatch):
    """Tests run tasks eagerly, inside the request after its commit: count only the
    request's own statements (the follow-up rows are still written)."""
    monkeypatch.setattr(outbox, "follow_ups_nudge", lambda **_: None)


TABLE_RE = re.compile(r'^(?:INSERT (?:OR IGNORE )?INTO|UPDATE|SELECT .*? FROM|DELETE FROM)\s+"?(\w+)"?', re.S)


def tables(run) -> list[str]:
    """The table (or sequence) each captured statement is about, in order."""
    out = []
    for query in run.captured_queries:
        sql = query["sql"]
        if "nextval" in sql:
            out.append("nextval")
        elif sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            out.append(sql.split('"')[0].strip())
        elif match := TABLE_RE.match(sql):
            out.append(match.group(1))
        else:  # BEGIN, COMMIT and the like
            continue
    return out


@pytest.mark.django_db(transaction=True)  # the test's own transaction would turn every atomic into a savepoint
def test_a_warm_intake_is_its_four_writes_in_one_transaction(api, district):
    client = api("operator")
    assert post(client, "/api/v1/orders", NEW_CALL).status_code == 201  # token, categories now remembered
    with CaptureQueriesContext(connection) as run:
        r = post(client, "/api/v1/orders", NEW_CALL)
    assert r.status_code == 201, r.json()
    assert r.json()["transferred_in"] is None
    number = "nextval" if connection.vendor == "postgresql" else "workorders_ordercounter"
    assert tables(run) == [number, "workorders_workorder", "workorders_event", "workorders_followup"]


@pytest.mark.django_db(transaction=True)
def test_a_call_handed_over_by_110_answers_its_record_without_reading_it_back(api, district):
    client = api("operator")
    assert post(client, "/api/v1/orders", NEW_CALL).status_code == 201
    with CaptureQueriesContext(connection) as run:
        r = post(client, "/api/v1/orders", {**NEW_CALL, "transferred_from": "110", "transfer_reference": "JJ-9"})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["transferred_in"]["line"] == "110" and body["transferred_in"]["reference"] == "JJ-9"
    assert "community_emergencytransferin" in tables(run)  # written with the order …
    assert not any(  # … and never read back
        q["sql"].startswith("SELECT") and "community_emergencytransferin" in q["sql"] for q in run.captured_queries
    )
    # What the answer said is what a later read says.
    again = client.get(f"/api/v1/orders/{body['number']}").json()
    assert json.dumps(again["transferred_in"]) == json.dumps(body["transferred_in"])
