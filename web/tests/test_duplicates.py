"""Repeat calls and duplicates on the console and in the submissions queue: the one
search ranks by text and place, and a call can be attached to an existing order."""

import pytest
from django.urls import reverse

from grids.models import Role
from hotline.testing import make_user
from workorders.errors import NotAllowed
from workorders.models import Event, WorkOrder
from workorders.services import (
    caller_counts,
    work_order_attach_call,
    work_order_find_duplicates,
    work_order_submit,
)
from workorders.services.duplicates import text_similarity

STALL = "幸福里小区东门每天傍晚有人摆摊卖菜，堵住了出入口，老人孩子进出很不方便。"


def test_similar_text_at_the_same_place_ranks_above_same_category_alone(district, log_call):
    same = log_call(description="幸福里小区东门傍晚总有人摆摊卖菜，把出入口堵住了", caller_phone="13800000001")
    other_text = log_call(description="幸福里小区3号楼楼道里堆满了杂物，消防通道被占", caller_phone="13800000002")
    elsewhere = log_call(
        description="幸福里小区东门每天傍晚有人摆摊卖菜堵住出入口",
        address="和平路88号",
        lat=None,
        lng=None,
        caller_phone="13800000003",
    )
    found = work_order_find_duplicates(text=STALL, address="幸福里小区东门")
    numbers = [m.order.number for m in found]
    assert numbers[0] == same.number
    assert other_text.number not in numbers  # the same 小区 and category, another problem
    # Similar words at another community: offered only below the same-place match.
    assert elsewhere.number not in numbers[:1]
    assert found[0].place_score == 1.0 and found[0].text_score > 0.5 and found[0].reasons


def test_the_callers_own_open_orders_are_offered_whatever_the_text(district, log_call):
    mine = log_call(description="小区路灯坏了好几天", caller_phone="13911112222")
    found = work_order_find_duplicates(text="我上次反映的事怎么还没人管", caller_phone="13911112222")
    assert [m.order.number for m in found] == [mine.number] and found[0].same_caller


def test_text_similarity_is_high_for_rephrasings_and_low_for_other_problems():
    assert text_similarity("东门有人摆摊卖菜堵路", "东门口摆摊卖菜的把路堵了") > 0.45
    assert text_similarity("东门有人摆摊卖菜堵路", "楼上漏水把我家天花板泡了") < 0.2


def test_attaching_a_call_records_the_caller_without_changing_the_order(district, log_call):
    order = log_call()
    before = (order.status, order.version)
    work_order_attach_call(
        order=order, actor=district.user("operator"), caller_phone="13700001234", caller_name="王五", text=STALL
    )
    work_order_attach_call(
        order=order, actor=district.user("operator"), caller_phone="13700001234", text="", chase=True
    )
    order.refresh_from_db()
    assert (order.status, order.version) == before
    events = list(Event.objects.filter(order=order, kind__in=["supplement", "caller_chase"]).order_by("seq"))
    assert [e.kind for e in events] == ["supplement", "caller_chase"]
    assert events[0].payload["caller_phone"] == "13700001234" and events[0].payload["text"] == STALL
    assert events[0].note == ""  # the timeline every unit reads carries no personal data
    assert caller_counts([order.pk]) == {order.pk: 2}  # the same new caller twice counts once


def test_attach_needs_the_operator_role_and_the_order_in_scope(district, log_call):
    order = log_call()
    with pytest.raises(NotAllowed):
        work_order_attach_call(order=order, actor=district.user("handler_a"), caller_phone="13700001234", text="x")
    operator_b = make_user("operator_b", district.street_b, Role.OPERATOR)
    with pytest.raises(NotAllowed):
        work_order_attach_call(order=order, actor=operator_b, caller_phone="13700001234", text="x")
    assert work_order_find_duplicates(text=STALL, address="幸福里小区东门", user=operator_b) == []


def test_attach_validates_the_callers_number(district, log_call):
    from workorders.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        work_order_attach_call(order=log_call(), actor=district.user("operator"), caller_phone="abc", text="x")
    assert "caller_phone" in exc.value.errors


def test_console_offers_duplicates_and_attaches_the_call(login, district, log_call):
    order = log_call()
    client = login("operator")
    body = client.get(
        reverse("web:duplicates"),
        {"description": STALL, "address": "幸福里小区东门", "caller_phone": "13700001234"},
    ).content.decode()
    assert order.number in body and reverse("web:attach_call", args=[order.number]) in body
    response = client.post(
        reverse("web:attach_call", args=[order.number]),
        {"caller_phone": "13700001234", "caller_name": "王五", "description": STALL, "attach_kind": "supplement"},
    )
    assert response.status_code == 302
    assert WorkOrder.objects.count() == 1  # no new order
    assert Event.objects.filter(order=order, kind="supplement").exists()
    bad = client.post(reverse("web:attach_call", args=[order.number]), {"caller_phone": "", "description": STALL})
    assert bad.status_code == 400 and "请填写联系电话" in bad.content.decode()


def test_order_page_and_workbench_show_the_callers_masked_for_units(login, district, assigned):
    op = district.user("operator")
    work_order_attach_call(order=assigned, actor=op, caller_phone="13700001234", caller_name="王五", text="我也是")
    work_order_attach_call(
        order=assigned,
        actor=op,
        caller_phone="13600005678",
        caller_name="赵六",
        caller_confidential=True,
        text="我是赵六，电话13600005678，住3号楼2单元501",
    )
    client = login("handler_a")
    page = client.get(reverse("web:order", args=[assigned.number])).content.decode()
    assert "来电人数" in page and "137****1234" in page and "13700001234" not in page
    assert "赵六" not in page and "13600005678" not in page and "（保密）" in page
    assert "[门牌]" in page  # the confidential caller's words reach the unit redacted
    workbench = client.get(reverse("web:workbench")).content.decode()
    assert "3 人来电" in workbench
    full = login("operator").get(reverse("web:order", args=[assigned.number])).content.decode()
    assert "13600005678" in full  # operators work with callers and see them in full


def test_submissions_queue_offers_merge_into_each_ranked_duplicate(login, district, log_call):
    existing = log_call()
    unrelated = log_call(description="幸福里小区3号楼楼道里堆满了杂物", caller_phone="13800000002")
    submitted = work_order_submit(
        channel="qr", title="东门摆摊", description=STALL, caller_phone="13800000009", community=district.community_a
    )
    client = login("operator")
    body = client.get(reverse("web:submissions")).content.decode()
    assert "并入此单" in body and f'name="into" value="{existing.number}"' in body
    assert f'name="into" value="{unrelated.number}"' not in body
    response = client.post(
        reverse("web:order_act", args=[submitted.number, "merge"]),
        {"expected_version": submitted.version, "into": existing.number, "next": reverse("web:submissions")},
    )
    assert response.status_code == 302
    assert caller_counts([existing.pk]) == {existing.pk: 2}  # the merged submission's caller counts
