"""并单 checks its target in one place (workorders.services.work_order_merge): the page,
the API and every other caller refuse an order outside the actor's scope exactly like a
number that does not exist, and the order stays where it was."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from grids.models import Role
from hotline.testing import make_user
from workorders.choices import Status
from workorders.errors import InvalidInput
from workorders.services import work_order_merge, work_order_submit


@pytest.fixture
def street_operator(district):
    """An operator seated at street A (a street's own intake desk), not at the center."""
    return make_user("operator_street_a", district.street_a, Role.OPERATOR)


def _submitted(community, phone):
    return work_order_submit(
        channel="qr", title="垃圾", description="垃圾桶满了没人清", caller_phone=phone, community=community
    )


def _merge_on_page(client, order, into: str):
    return client.post(
        reverse("web:order_act", args=[order.number, "merge"]),
        {"expected_version": order.version, "into": into, "next": reverse("web:submissions")},
    )


def test_page_refuses_a_merge_target_outside_the_operators_street_like_a_missing_number(
    client, district, street_operator
):
    mine = _submitted(district.community_a, "13800000001")
    elsewhere = _submitted(district.community_b, "13800000002")  # street B
    client.force_login(street_operator)
    out_of_scope = _merge_on_page(client, mine, elsewhere.number)
    nonexistent = _merge_on_page(client, mine, "20991231999999")
    assert out_of_scope.status_code == nonexistent.status_code == 400
    assert "没有这个工单。" in out_of_scope.content.decode() and "没有这个工单。" in nonexistent.content.decode()
    mine.refresh_from_db()
    assert mine.status == Status.SUBMITTED and mine.parent_id is None
    # Within the street the same operator merges as usual.
    sibling = _submitted(district.community_a, "13800000003")
    assert _merge_on_page(client, mine, sibling.number).status_code == 302
    mine.refresh_from_db()
    assert mine.status == Status.MERGED and mine.parent_id == sibling.pk


def test_api_and_page_give_the_same_answer_for_an_out_of_scope_target(client, district, street_operator):
    from api.tokens import api_token_create

    mine = _submitted(district.community_a, "13800000001")
    elsewhere = _submitted(district.community_b, "13800000002")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=street_operator)[1]}")
    response = api.post(
        f"/api/v1/orders/{mine.number}/merge",
        {"into": elsewhere.number},
        format="json",
        HTTP_IF_MATCH=str(mine.version),
    )
    assert response.status_code == 400
    assert response.json()["errors"]["into"] == ["没有这个工单。"]


def test_service_callers_cannot_merge_into_an_order_they_may_not_see(district, street_operator):
    """Tasks, commands and the admin pass orders, not numbers: the check holds for them too."""
    mine = _submitted(district.community_a, "13800000001")
    elsewhere = _submitted(district.community_b, "13800000002")
    with pytest.raises(InvalidInput) as refused:
        work_order_merge(order=mine, actor=street_operator, into=elsewhere)
    assert set(refused.value.errors) == {"into"}
    mine.refresh_from_db()
    assert mine.status == Status.SUBMITTED
    # The center's operator sees both streets.
    merged = work_order_merge(order=mine, actor=district.user("operator"), into=elsewhere)
    assert merged.status == Status.MERGED and merged.parent_id == elsewhere.pk
