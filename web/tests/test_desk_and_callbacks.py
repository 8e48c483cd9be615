from django.urls import reverse

from workorders.choices import Status
from workorders.models import WorkOrder
from workorders.services import work_order_reply, work_order_sign


def test_desk_shows_unrouted_orders_with_the_problem_and_assigns(login, district, log_call):
    order = log_call(category=None, lat=None, lng=None, address="")
    client = login("dispatcher")
    body = client.get(reverse("web:desk")).content.decode()
    assert order.number in body and "未选择分类" in body
    response = client.post(
        reverse("web:order_act", args=[order.number, "assign"]),
        {"expected_version": order.version, "unit": district.street_b.pk, "next": reverse("web:desk")},
    )
    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).current_unit == district.street_b


def test_desk_suggests_the_routers_unit(login, district, log_call):
    log_call()
    body = login("dispatcher").get(reverse("web:desk")).content.decode()
    assert "建议：" in body and "甲街道" in body


def test_reply_review_shows_the_closure_standard_and_approves(login, district, assigned):
    order = work_order_sign(order=assigned, actor=district.user("handler_a"))
    order = work_order_reply(order=order, actor=district.user("handler_a"), reply="已清理。")
    client = login("dispatcher")
    body = client.get(reverse("web:desk") + "?tab=replies").content.decode()
    assert "现场清理完毕并拍照" in body and "已清理。" in body
    response = client.post(
        reverse("web:order_act", args=[order.number, "approve"]), {"expected_version": order.version, "note": ""}
    )
    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).status == Status.CALLBACK


def _to_callback(district, order):
    from workorders.services import work_order_approve

    order = work_order_sign(order=order, actor=district.user("handler_a"))
    order = work_order_reply(order=order, actor=district.user("handler_a"), reply="已劝离摊贩并清理。")
    return work_order_approve(order=order, actor=district.user("dispatcher"))


def test_callback_queue_reads_out_the_reply_and_records_the_result(login, district, assigned):
    order = _to_callback(district, assigned)
    client = login("operator")
    body = client.get(reverse("web:callbacks")).content.decode()
    assert "已劝离摊贩并清理。" in body and "13812345678" in body
    response = client.post(
        reverse("web:order_act", args=[order.number, "callback"]),
        {"expected_version": order.version, "contacted": "yes", "resolution": "solved", "satisfaction": "satisfied"},
    )
    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).status == Status.CLOSED


def test_callback_contacted_needs_the_answers(login, district, assigned):
    order = _to_callback(district, assigned)
    response = login("operator").post(
        reverse("web:order_act", args=[order.number, "callback"]),
        {"expected_version": order.version, "contacted": "yes", "note": "市民说还行"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "请选择是否满意" in body and "市民说还行" in body


def test_unreachable_callback_keeps_the_order_waiting(login, district, assigned):
    order = _to_callback(district, assigned)
    login("operator").post(
        reverse("web:order_act", args=[order.number, "callback"]),
        {"expected_version": order.version, "contacted": "no"},
    )
    order.refresh_from_db()
    assert order.status == Status.CALLBACK and order.callback_attempts == 1


def test_desk_shows_what_the_router_recorded_without_deciding_again(login, district, log_call, monkeypatch):
    """An order the router left to the dispatchers shows the reasons and ranked
    suggestions stored in its queue entry (as they were when it was routed)."""
    from dispatch import services
    from dispatch.models import DispatchQueueEntry, RoutingRule
    from dispatch.services import route_order
    from grids.models import OrgUnit, UnitKind
    from workorders.choices import Routing

    other = OrgUnit.objects.create(code="D-ZJ", name="住建局", kind=UnitKind.DEPARTMENT, parent=district.center)
    for dept in (district.dept, other):
        RoutingRule.objects.create(category=district.cat_territorial, target=Routing.DEPARTMENT, department=dept)
    order = log_call()
    route_order(order_id=order.pk)  # two rules, two targets: left to the dispatchers
    entry = DispatchQueueEntry.objects.get(order=order, state="open")
    assert [r["code"] for r in entry.reasons] == ["conflicting_rules"]

    def no_live_decision(*args, **kwargs):
        raise AssertionError("the desk decided again instead of reading the queue entry")

    monkeypatch.setattr(services, "route_decide", no_live_decision)  # what dispatch.selectors calls
    body = login("dispatcher").get(reverse("web:desk")).content.decode()
    assert order.number in body and "派单规则相互冲突" in body
    assert district.dept.name in body and "住建局" in body


def test_a_refused_callback_keeps_the_operator_in_the_queue(login, district, assigned):
    order = _to_callback(district, assigned)
    response = login("operator").post(
        reverse("web:order_act", args=[order.number, "callback"]),
        {"expected_version": order.version, "contacted": "yes", "note": "市民说还行", "next": reverse("web:callbacks")},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "待回访" in body and "请选择是否满意" in body and "市民说还行" in body  # the queue, not the order page
    assert "原始诉求" in body and "回访时限" in body


def test_each_callback_outcome_says_what_happened(login, district, assigned):
    order = _to_callback(district, assigned)
    client = login("operator")
    response = client.post(
        reverse("web:order_act", args=[order.number, "callback"]),
        {"expected_version": order.version, "contacted": "no", "next": reverse("web:callbacks")},
        follow=True,
    )
    assert "未接通，已安排" in response.content.decode() and "再拨" in response.content.decode()
    order.refresh_from_db()
    response = client.post(
        reverse("web:order_act", args=[order.number, "callback"]),
        {
            "expected_version": order.version,
            "contacted": "yes",
            "resolution": "unsolved",
            "satisfaction": "unsatisfied",
            "next": reverse("web:callbacks"),
        },
        follow=True,
    )
    assert "市民不满意，已重办，退回甲街道" in response.content.decode()


def test_submissions_show_the_photo_and_where_a_category_would_go(login, district):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from attachments.services import attachment_add
    from hotline.testing import image_bytes
    from workorders.services import work_order_submit

    order = work_order_submit(
        channel="web", title="路边摆摊", description="小区门口每天傍晚有人占道摆摊。", caller_phone="13812345678"
    )
    photo = attachment_add(
        order=order, upload=SimpleUploadedFile("a.png", image_bytes("PNG", (8, 8)), content_type="image/png")
    )
    body = login("operator").get(reverse("web:submissions")).content.decode()
    assert reverse("web:attachment", args=[photo.pk]) in body
    assert "共 1 件" in body and ("按位置派属地街道" in body or "派主责部门" in body)
