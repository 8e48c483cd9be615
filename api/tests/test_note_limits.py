"""One length limit per kind of event text (workorders.text_limits), read by the page
forms, the API serializers and transition() alike. The API used to take 4000-character
notes and reasons that the pages refused past 2000."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from workorders.choices import Status
from workorders.errors import InvalidInput
from workorders.services import work_order_reject, work_order_submit
from workorders.text_limits import LONG_TEXT_MAX, NOTE_MAX


@pytest.fixture
def submitted(district):
    return work_order_submit(channel="qr", title="垃圾", description="垃圾满了", caller_phone="13800000001")


def _api_reject(api, order, reason):
    return api("operator").post(
        f"/api/v1/orders/{order.number}/reject", data=json.dumps({"reason": reason}), content_type="application/json"
    )


def _page_reject(client, district, order, reason):
    client.force_login(district.user("operator"))
    return client.post(
        reverse("web:order_act", args=[order.number, "reject"]), {"expected_version": order.version, "reason": reason}
    )


def test_api_and_page_refuse_the_same_over_long_reason(api, client, district, submitted):
    too_long = "长" * (NOTE_MAX + 1)
    by_api = _api_reject(api, submitted, too_long)
    assert by_api.status_code == 400 and "reason" in by_api.json()["errors"]
    by_page = _page_reject(client, district, submitted, too_long)
    assert by_page.status_code == 400
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    # At the limit both take it.
    assert _api_reject(api, submitted, "长" * NOTE_MAX).status_code == 200


def test_the_page_takes_a_reason_as_long_as_the_api_does(client, district, submitted):
    assert _page_reject(client, district, submitted, "长" * NOTE_MAX).status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.REJECTED


def test_services_called_directly_hold_the_same_limit(district, submitted):
    """Tasks, commands and the admin call services without a form: transition() checks."""
    with pytest.raises(InvalidInput) as refused:
        work_order_reject(order=submitted, actor=district.user("operator"), reason="长" * (NOTE_MAX + 1))
    assert set(refused.value.errors) == {"note"}
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_a_reply_may_be_as_long_as_a_reply_not_a_note(api, district, log_call):
    from workorders.services import work_order_assign, work_order_reply, work_order_sign

    order = log_call()
    order = work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    order = work_order_sign(order=order, actor=district.user("handler_a"))
    replied = work_order_reply(order=order, actor=district.user("handler_a"), reply="办" * LONG_TEXT_MAX)
    assert replied.status == Status.REPLIED and len(replied.reply) == LONG_TEXT_MAX
