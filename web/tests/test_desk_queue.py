"""The dispatcher desk as a queue: real totals, keyset pages, newest unroutable first,
actions in place that say what happened, conflicts told plainly, the picker that leaves
out the unit that returned an order, and the explicit overrule path."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.selectors import desk_counts, desk_queue
from workorders.choices import Status
from workorders.errors import InvalidInput
from workorders.models import WorkOrder
from workorders.services import (
    work_order_assign,
    work_order_reassign,
    work_order_request_extension,
    work_order_return,
    work_order_sign,
)

HX = {"HTTP_HX_REQUEST": "true"}


def _desk(client, **query):
    return client.get(reverse("web:desk"), query)


def _returned(district, log_call):
    order = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    return work_order_return(order=order, actor=district.user("handler_a"), reason="not_territory", note="不归我们管")


def test_desk_counts_every_waiting_order_and_pages_by_keyset(login, district, log_call, monkeypatch):
    monkeypatch.setattr("web.views.desk.PAGE", 3)
    orders = [log_call(title=f"第{i}件") for i in range(5)]
    urgent = log_call(title="紧急的一件", urgency="urgent")
    client = login("dispatcher")
    first = _desk(client)
    body = first.content.decode()
    # The tab says 6 although a page holds 3; urgent first, then the newest call.
    assert '待派单 <span class="count">6</span>' in body
    numbers = [o.number for o in first.context["rows"]]
    assert numbers == [urgent.number, orders[4].number, orders[3].number]
    cursor = first.context["next_cursor"]
    second = _desk(client, after=cursor)
    assert [o.number for o in second.context["rows"]] == [orders[2].number, orders[1].number, orders[0].number]
    assert second.context["next_cursor"] is None
    # A new call arriving while page 2 is read does not shift page 2.
    log_call(title="新来的")
    assert [o.number for o in _desk(client, after=cursor).context["rows"]] == numbers[:0] + [
        orders[2].number,
        orders[1].number,
        orders[0].number,
    ]


def test_a_broken_cursor_is_a_clear_400(login, district):
    response = _desk(login("dispatcher"), after="not-a-cursor")
    assert response.status_code == 400 and "分页参数无效" in response.content.decode()


def test_assign_in_place_says_where_it_went_and_moves_to_the_next_order(login, district, log_call):
    older, newer = log_call(title="先来的"), log_call(title="后来的")
    client = login("dispatcher")
    response = client.post(
        reverse("web:desk_act", args=[newer.number, "assign"]),
        {"tab": "unrouted", "expected_version": newer.version, "unit": district.street_b.pk, "note": ""},
        **HX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f"{newer.number} 已派至乙街道" in body and "前签收" in body
    assert f'id="row-{newer.pk}" hx-swap-oob="delete"' in body  # the row leaves the list
    assert f'data-number="{older.number}"' in body  # the pane moves on to the next in line
    assert '待派单 <span class="count">1</span>' in body
    assert WorkOrder.objects.get(pk=newer.pk).current_unit == district.street_b


def test_without_javascript_the_desk_redirects_back_to_the_same_page_and_next_order(login, district, log_call):
    older, newer = log_call(), log_call()
    client = login("dispatcher")
    response = client.post(
        reverse("web:desk_act", args=[newer.number, "assign"]),
        {"tab": "unrouted", "expected_version": newer.version, "unit": district.street_b.pk},
    )
    assert response.status_code == 302 and f"order={older.number}" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "已派至乙街道" in page


def test_losing_a_race_says_who_acted_when_what_the_order_is_now(login, district, log_call):
    order = log_call()
    stale = order.version
    from grids.models import Membership, Role
    from hotline.testing import make_user

    other = make_user("dispatcher2", district.center, Role.DISPATCHER)
    other.first_name = "李四"
    other.save()
    work_order_assign(order=order, actor=other, unit=district.street_a)
    response = login("dispatcher").post(
        reverse("web:desk_act", args=[order.number, "assign"]),
        {"tab": "unrouted", "expected_version": stale, "unit": district.street_b.pk},
        **HX,
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "李四" in body and "区12345中心" in body and "派单" in body
    assert "工单现为「待签收」，当前单位：甲街道" in body
    assert "此单已离开本队列，您无需再处理" in body
    assert WorkOrder.objects.get(pk=order.pk).current_unit == district.street_a  # nothing overwritten
    assert Membership.objects.filter(user=other).exists()


def test_returned_order_picker_leaves_out_the_unit_that_returned_it(login, district, log_call):
    order = _returned(district, log_call)
    body = _desk(login("dispatcher"), tab="returned").content.decode()
    picker = body.split('name="unit"', 1)[1].split("</select>", 1)[0]
    assert f'value="{district.street_a.pk}"' not in picker
    assert f'value="{district.street_b.pk}"' in picker
    assert "驳回退单：仍派回甲街道" in body and order.number in body


def test_reassign_to_the_returning_unit_is_refused_unless_overruled(login, district, log_call):
    order = _returned(district, log_call)
    client = login("dispatcher")
    refused = client.post(
        reverse("web:desk_act", args=[order.number, "reassign"]),
        {"tab": "returned", "expected_version": order.version, "unit": district.street_a.pk},
        **HX,
    )
    assert refused.status_code == 400 and "刚退回此单" in refused.content.decode()
    assert WorkOrder.objects.get(pk=order.pk).status == Status.RETURNED
    # The overrule form needs a reason and sends the order where it came from, whatever is posted.
    no_reason = client.post(
        reverse("web:desk_act", args=[order.number, "overrule"]),
        {"tab": "returned", "expected_version": order.version, "note": ""},
        **HX,
    )
    assert no_reason.status_code == 400
    done = client.post(
        reverse("web:desk_act", args=[order.number, "overrule"]),
        {"tab": "returned", "expected_version": order.version, "note": "属于本街道辖区", "unit": district.street_b.pk},
        **HX,
    )
    assert done.status_code == 200 and "已派至甲街道" in done.content.decode()
    order.refresh_from_db()
    assert order.current_unit == district.street_a
    assert order.events.last().payload["overruled_return"] is True


def test_service_refuses_the_returning_unit_when_the_caller_did_not_overrule(district, log_call):
    order = _returned(district, log_call)
    with pytest.raises(InvalidInput):
        work_order_reassign(
            order=order, actor=district.user("dispatcher"), unit=district.street_a, overrule_return=False
        )
    moved = work_order_reassign(
        order=order, actor=district.user("dispatcher"), unit=district.street_b, overrule_return=False
    )
    assert moved.current_unit == district.street_b and "overruled_return" not in moved.events.last().payload


def test_extension_card_shows_the_current_deadline_and_the_length_asked(login, district, assigned):
    order = work_order_sign(order=assigned, actor=district.user("handler_a"))
    handle = order.deadlines.get(stage="handle", state="open").due_at
    asked = handle + timedelta(days=3)
    work_order_request_extension(order=order, actor=district.user("handler_a"), proposed_due=asked, reason="需等待材料")
    body = _desk(login("dispatcher"), tab="extensions").content.decode()
    assert "当前时限" in body and timezone.localtime(handle).strftime("%Y-%m-%d %H:%M") in body
    assert "延长 3天0小时" in body
    assert "批准说明（可选）" in body and "驳回延期的理由（必填，将通知承办单位）" in body
    assert 'btn-danger primary danger"' in body and 'btn-primary primary"' in body
    assert "hx-confirm=" in body  # denying notifies the unit: asked first


def test_desk_counts_match_the_queues(district, log_call, assigned):
    _returned(district, log_call)
    log_call()
    counts = desk_counts(user=district.user("dispatcher"))
    assert counts == {"unrouted": 1, "returned": 1, "extensions": 0, "replies": 0}
    dispatcher = district.user("dispatcher")
    assert all(desk_queue(user=dispatcher, tab=tab).count() == n for tab, n in counts.items())
    assert desk_counts(user=district.user("handler_a")) == {"unrouted": 0, "returned": 0, "extensions": 0, "replies": 0}
    assert list(desk_queue(user=district.user("handler_b"), tab="unrouted")) == []


def test_desk_pane_is_scoped_and_only_for_dispatchers(login, district, log_call):
    order = log_call()
    assert (
        login("dispatcher").get(reverse("web:desk_pane", args=[order.number]), {"tab": "unrouted"}).status_code == 200
    )
    assert login("handler_b").get(reverse("web:desk_pane", args=[order.number]), {"tab": "unrouted"}).status_code == 404


def test_a_manual_urge_asks_for_an_instruction_and_tells_the_unit(
    login, district, assigned, django_capture_on_commit_callbacks
):
    from dispatch.models import Notification

    client = login("supervisor")
    listing = client.get(reverse("web:orders"), {"figure": "overdue"}).content.decode()
    assert "此刻仍超时的工单" in listing  # overdue is a state: no period is claimed
    page = client.get(reverse("web:orders"), {"figure": "volume"}).content.decode()
    assert "督办要求（必填，将短信通知承办单位）" in page and "data-confirm=" in page
    refused = client.post(
        reverse("web:order_act", args=[assigned.number, "urge"]), {"expected_version": assigned.version, "note": ""}
    )
    assert refused.status_code == 400 and not assigned.events.filter(kind="urge").exists()
    with django_capture_on_commit_callbacks(execute=True):  # the outbox's nudge runs the follow-up
        client.post(
            reverse("web:order_act", args=[assigned.number, "urge"]),
            {"expected_version": assigned.version, "note": "今天下班前联系市民并反馈"},
        )
    from workorders.models import FollowUp

    assert FollowUp.objects.filter(order=assigned, event__kind="urge").exists()  # written with the event
    sms = Notification.objects.filter(order=assigned, event__kind="urge")
    assert sms.exists() and all("第 1 次督办" in n.text and "今天下班前联系市民并反馈" in n.text for n in sms)
    assert {n.recipient_id for n in sms} == {district.user("handler_a").pk}
    page = client.get(reverse("web:orders"), {"figure": "volume"}).content.decode()
    assert "督办 1 次" in page


def test_a_reply_carries_its_photo_to_the_reviewer(login, district, assigned):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from attachments.models import Attachment
    from hotline.testing import image_bytes

    order = work_order_sign(order=assigned, actor=district.user("handler_a"))
    handler = login("handler_a")
    broken = handler.post(
        reverse("web:order_act", args=[order.number, "reply"]),
        {
            "expected_version": order.version,
            "reply": "已清理完毕。",
            "photo": SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg"),
        },
    )
    body = broken.content.decode()
    assert broken.status_code == 400 and "已清理完毕。" in body and "JPEG" in body
    assert WorkOrder.objects.get(pk=order.pk).status == Status.IN_PROGRESS and not Attachment.objects.exists()
    done = handler.post(
        reverse("web:order_act", args=[order.number, "reply"]),
        {
            "expected_version": order.version,
            "reply": "已清理完毕。",
            "photo": SimpleUploadedFile("site.png", image_bytes("PNG", (40, 30)), content_type="image/png"),
        },
    )
    assert done.status_code == 302
    photo = Attachment.objects.get(order=order)
    review = login("dispatcher").get(reverse("web:desk"), {"tab": "replies"}).content.decode()
    assert "已清理完毕。" in review and reverse("web:attachment", args=[photo.pk]) in review


def test_order_page_reassign_leaves_out_the_returning_unit_and_cohandlers_are_tick_boxes(login, district, log_call):
    order = _returned(district, log_call)
    page = login("dispatcher").get(reverse("web:order", args=[order.number])).content.decode()
    picker = page.split('name="unit"', 1)[1].split("</select>", 1)[0]
    assert f'value="{district.street_a.pk}"' not in picker and f'value="{district.street_b.pk}"' in picker
    moved = work_order_reassign(order=order, actor=district.user("dispatcher"), unit=district.street_b)
    moved = work_order_sign(order=moved, actor=district.user("handler_b"))
    handler = login("handler_b").get(reverse("web:order", args=[moved.number])).content.decode()
    assert 'type="checkbox" name="units"' in handler and "multiple" not in handler.split('name="units"', 1)[0][-200:]
