"""List filters refuse values the database cannot compare, instead of failing with a
500 (PostgreSQL refuses time zone offsets beyond ±15:59 and ids beyond bigint)."""

import pytest


@pytest.mark.parametrize(
    "query,field",
    [
        ("unit=99999999999999999999", "unit"),
        ("lead_unit=1.5", "lead_unit"),
        ("created_after=0001-01-01T00:00:00%2B05:00", "created_after"),
    ],
)
def test_unrepresentable_filter_values_are_400_naming_the_field(api, district, query, field):
    r = api("operator").get(f"/api/v1/orders?{query}")
    assert r.status_code == 400 and field in r.json()["errors"]


def test_a_far_offset_is_compared_in_utc(api, log_call):
    order = log_call()
    # 2000-01-01T00:00-20:05 is 2000-01-01T20:05Z: long before the order.
    r = api("operator").get("/api/v1/orders?created_after=2000-01-01T00:00:00-20:05")
    assert r.status_code == 200 and [o["number"] for o in r.json()["results"]] == [order.number]
    r = api("operator").get("/api/v1/orders?created_after=2000-01-01T00:00:00%2B20:05")
    assert r.status_code == 200 and [o["number"] for o in r.json()["results"]] == [order.number]
    assert api("operator").get("/api/v1/orders?due_before=0763-12-22T14:08:00-20:05").json()["results"] == []
