from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from governance.services import scheme_save_version
from workorders.services import (
    work_order_approve,
    work_order_assign,
    work_order_contact,
    work_order_reply,
    work_order_sign,
)
from workorders.services.review import work_order_callback

# A fixed month in the past, so every deadline of the test orders has come to a result.
T0 = timezone.make_aware(datetime(2026, 10, 5, 10, 0))
MONTH = "2026-10"


@pytest.fixture
def handled(district, log_call):
    """An order handled start to end in street A (or ``unit``), signed ``sign_after`` after
    assignment, rated ``satisfaction``."""

    def _make(*, unit=None, t0=T0, sign_after=timedelta(minutes=5), satisfaction="satisfied", resolution="solved"):
        unit = unit or district.street_a
        handler = {district.street_a.pk: "handler_a", district.street_b.pk: "handler_b"}[unit.pk]
        # Located in the unit's own street, so the dashboard's territory and the lead unit agree.
        place = {} if unit.pk == district.street_a.pk else {"lat": 39.905, "lng": 116.325, "address": "乙街道某处"}
        order = log_call(now=t0, **place)
        work_order_assign(order=order, actor=district.user("dispatcher"), unit=unit, now=t0)
        t = t0 + sign_after
        work_order_sign(order=order, actor=district.user(handler), now=t)
        work_order_contact(order=order, actor=district.user(handler), now=t + timedelta(minutes=1))
        work_order_reply(order=order, actor=district.user(handler), reply="已处理", now=t + timedelta(hours=1))
        work_order_approve(order=order, actor=district.user("dispatcher"), now=t + timedelta(hours=2))
        work_order_callback(
            order=order,
            actor=district.user("operator"),
            contacted=True,
            resolution=resolution,
            satisfaction=satisfaction,
            now=t + timedelta(hours=3),
        )
        order.refresh_from_db()
        return order

    return _make


@pytest.fixture
def street_scheme(district):
    return scheme_save_version(
        code="street",
        name="街道考核",
        unit_kind="street",
        weights={"response": 20, "on_time": 20, "resolution": 20, "satisfaction": 30, "reopen": 5, "return": 5},
    )
