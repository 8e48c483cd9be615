"""The intake's short way through validation (api/lean.py, issue 14): for any body it takes,
it answers exactly what DRF's validation would; everything else goes to DRF, so errors,
their wording and what is accepted stay DRF's."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from api import serializers as s
from api.lean import plan_for
from api.tests.test_orders import NEW_CALL, post
from workorders import outbox
from workorders.choices import Channel, RequestType, Urgency


class FullDRF(s.WorkOrderCreateSerializer):
    """The same fields, validated DRF's way only."""

    lean_json = False


def drf(data):
    """What DRF's field validation (to_internal_value, the step the short way replaces)
    makes of ``data``: (values, None) or (None, DRF's error detail). The serializer's
    validate() runs after either way."""
    try:
        return dict(FullDRF().to_internal_value(data)), None
    except ValidationError as exc:
        return None, exc.detail


def typed(d: dict) -> list:
    return [(k, type(v), v) for k, v in d.items()]


@pytest.fixture(autouse=True)
def _no_worker(monkeypatch):
    monkeypatch.setattr(outbox, "follow_ups_nudge", lambda **_: None)


def test_the_intake_serializer_has_a_short_way_over_all_its_fields():
    plan = plan_for(s.WorkOrderCreateSerializer)
    assert plan is not None
    assert plan.names == set(s.WorkOrderCreateSerializer._declared_fields)


def test_a_serializer_with_a_field_of_another_kind_gets_none():
    class WithEmail(s.StrictSerializer):
        lean_json = True
        email = s.serializers.EmailField()

    class WithOwnCheck(s.StrictSerializer):
        lean_json = True
        title = s.serializers.CharField()

        def validate_title(self, value):
            return value.upper()

    assert plan_for(WithEmail) is None and plan_for(WithOwnCheck) is None
    checked = WithOwnCheck(data={"title": "x"})
    assert checked.is_valid() and checked.validated_data == {"title": "X"}


TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "   ", " 占道 ", "a\x00b", "x\ud800y", "x" * 201, "y" * 4001, "张三", "13812345678"]),
    st.integers(min_value=-5, max_value=5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-200, max_value=200),
    st.just(10**400),
    st.sampled_from(["39.9", "abc", "", True, False, None, [1]]),
)


def choices(values):
    return st.one_of(st.sampled_from([*values, "", "bogus", values[0].upper()]), TEXT)


CODES = st.sampled_from(["0101", "01", "9999", "", " 0101", None, 101, True])
BOOL = st.one_of(st.booleans(), st.sampled_from(["true", "false", 1, 0, "on", None, "", 2]))

FIELDS = {
    "channel": choices(Channel.values),
    "title": TEXT,
    "description": TEXT,
    "caller_phone": TEXT,
    "caller_name": TEXT,
    "caller_confidential": BOOL,
    "address": TEXT,
    "lat": NUMBER,
    "lng": NUMBER,
    "category": CODES,
    "urgency": choices(Urgency.values),
    "request_type": choices(RequestType.values),
    "community": st.sampled_from([None, 1, "1", "", "x"]),
    "photo": st.sampled_from([None, "", "x", 1]),
    "self_handled": BOOL,
    "result": TEXT,
    "transferred_from": st.sampled_from(["", "110", "119", "999", None, 110]),
    "transfer_reference": TEXT,
    "titel": TEXT,  # a misspelt field: never the short way
}
VALID = {
    "title": st.text(min_size=1, max_size=20).filter(str.strip),
    "description": st.text(min_size=1, max_size=40).filter(str.strip),
}
BODIES = st.one_of(
    st.fixed_dictionaries({}, optional=FIELDS),
    # Mostly valid bodies with a few fields varied, so the short way is exercised too.
    st.fixed_dictionaries(VALID, optional={k: v for k, v in FIELDS.items() if k not in VALID and k != "titel"}),
    st.sampled_from([[NEW_CALL], "text", None, 3]),
)


@pytest.mark.django_db
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_whatever_the_short_way_takes_drf_validates_to_the_same_values(district, body):
    plan = plan_for(s.WorkOrderCreateSerializer)
    short = plan.validate(body)
    full, errors = drf(body)
    if short is None:
        return  # DRF's own path answers, errors and all
    assert errors is None, (body, errors)
    assert typed(short) == typed(full)


@pytest.mark.django_db
def test_a_plain_call_takes_the_short_way_and_builds_no_serializer_fields(api, district, monkeypatch):
    built = []
    original = s.StrictSerializer.get_fields
    monkeypatch.setattr(s.StrictSerializer, "get_fields", lambda self: built.append(type(self)) or original(self))
    client = api("operator")
    r = post(client, "/api/v1/orders", NEW_CALL)
    assert r.status_code == 201, r.json()
    assert s.WorkOrderCreateSerializer not in built
    assert plan_for(s.WorkOrderCreateSerializer).validate(json.loads(json.dumps(NEW_CALL))) == drf(NEW_CALL)[0]


INVALID = [
    {**NEW_CALL, "title": "  "},
    {**NEW_CALL, "titel": "x"},
    {**NEW_CALL, "lat": 91},
    {**NEW_CALL, "lat": True},
    {**NEW_CALL, "category": "9999"},
    {**NEW_CALL, "urgency": "asap"},
    {**NEW_CALL, "description": "x" * 4001},
    {**NEW_CALL, "caller_name": "a\x00b"},
    {**NEW_CALL, "self_handled": True},
    {k: v for k, v in NEW_CALL.items() if k != "title"},
    [NEW_CALL],
]


@pytest.mark.django_db
@pytest.mark.parametrize("body", INVALID)
def test_refused_bodies_are_answered_as_before(api, district, monkeypatch, body):
    client = api("operator")
    lean = post(client, "/api/v1/orders", body)
    monkeypatch.setattr(s.WorkOrderCreateSerializer, "lean_json", False)
    before = post(client, "/api/v1/orders", body)
    assert lean.status_code == before.status_code == 400
    assert lean.json() == before.json()


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["9999", "0101"])
def test_a_category_code_costs_the_queries_it_cost_before(api, district, monkeypatch, code):
    """An unknown code is looked up once by DRF, not first by the short way as well."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api("operator")
    post(client, "/api/v1/orders", NEW_CALL)  # token and categories remembered
    with CaptureQueriesContext(connection) as lean:
        post(client, "/api/v1/orders", {**NEW_CALL, "category": code})
    monkeypatch.setattr(s.WorkOrderCreateSerializer, "lean_json", False)
    with CaptureQueriesContext(connection) as before:
        post(client, "/api/v1/orders", {**NEW_CALL, "category": code})
    reads = [q["sql"] for q in lean.captured_queries if "workorders_category" in q["sql"]]
    assert len(reads) == len([q for q in before.captured_queries if "workorders_category" in q["sql"]])
