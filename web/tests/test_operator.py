from django.urls import reverse

from workorders.choices import Status
from workorders.models import WorkOrder


def intake(**overrides):
    data = {
        "caller_phone": "13900001111",
        "caller_name": "李四",
        "description": "幸福里小区门口每天有人摆摊，堵塞通道。",
        "title": "",
        "category": "",
        "address": "幸福里小区东门",
        "urgency": "normal",
        "request_type": "complaint",
    }
    data.update(overrides)
    return data


def test_operator_logs_a_call_and_title_defaults_to_the_description(
    login, district, django_capture_on_commit_callbacks
):
    client = login("operator")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:ops"), intake(category=district.cat_territorial.pk))
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.title == "幸福里小区门口每天有人摆摊，堵塞通道。"[:30]
    assert order.community == district.community_a  # located by address alias
    # auto-dispatch ran (eager Celery): territorial category → street A
    assert order.status == Status.ASSIGNED and order.current_unit == district.street_a


def test_a_failed_intake_keeps_everything_typed(login):
    client = login("operator")
    response = client.post(reverse("web:ops"), intake(description="", caller_phone="12ab", address="和平路88号"))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="12ab"' in body and 'value="和平路88号"' in body and "李四" in body
    assert "该字段是必填项" in body
    assert not WorkOrder.objects.exists()


def test_service_validation_errors_land_on_their_field(login):
    client = login("operator")
    response = client.post(reverse("web:ops"), intake(caller_phone="12ab"))
    assert response.status_code == 400
    assert "电话号码格式不正确" in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_answer_now_closes_the_order_without_routing(login):
    client = login("operator")
    response = client.post(reverse("web:ops"), intake(answer_now="on", answer="已告知办理地点和时间。"))
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.status == Status.CLOSED and order.reply == "已告知办理地点和时间。"
    assert list(order.events.values_list("kind", flat=True)) == ["log_call", "answer_now"]


def test_answer_now_without_an_answer_is_refused_and_creates_nothing(login):
    response = login("operator").post(reverse("web:ops"), intake(answer_now="on"))
    assert response.status_code == 400 and "即时办结请填写答复内容" in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_caller_history_flags_a_repeat_caller(login, log_call):
    log_call(caller_phone="13912345678")
    response = login("operator").get(reverse("web:caller_history"), {"caller_phone": "13912345678"})
    body = response.content.decode()
    assert "重复来电" in body and "路口有人占道摆摊" in body
    response = login("operator").get(reverse("web:caller_history"), {"caller_phone": "13900000000"})
    assert "首次来电" in response.content.decode()


def test_category_suggested_from_the_words_of_the_description(login, district):
    response = login("operator").get(reverse("web:category_suggest"), {"description": "楼下有小贩摆摊"})
    assert f'data-category="{district.cat_territorial.pk}"' in response.content.decode()
    response = login("operator").get(reverse("web:category_suggest"), {"description": "天气很好"})
    assert "data-category" not in response.content.decode()


def test_address_shows_the_located_community_and_grid(login):
    response = login("operator").get(reverse("web:locate"), {"address": "幸福里小区3号楼"})
    assert "甲一社区" in response.content.decode() and "甲一1号网格" in response.content.decode()


def test_operator_pages_are_404_for_a_handler(login):
    client = login("handler_a")
    for name in ("web:ops", "web:submissions", "web:callbacks", "web:desk"):
        assert client.get(reverse(name)).status_code == 404


def test_submission_queue_accepts_and_offers_duplicates(login, district):
    from workorders.services import work_order_submit

    first = work_order_submit(
        channel="qr", title="垃圾", description="垃圾满了", caller_phone="13800000001", community=district.community_a
    )
    second = work_order_submit(
        channel="qr",
        title="垃圾2",
        description="垃圾又满了",
        caller_phone="13800000002",
        community=district.community_a,
    )
    client = login("operator")
    body = client.get(reverse("web:submissions")).content.decode()
    assert first.number in body and "可能重复" in body
    response = client.post(
        reverse("web:order_act", args=[second.number, "merge"]),
        {"expected_version": second.version, "into": first.number, "next": reverse("web:submissions")},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.parent == first
    response = client.post(
        reverse("web:order_act", args=[first.number, "reject"]), {"expected_version": first.version, "reason": ""}
    )
    assert response.status_code == 400  # a reason is required; the page says so
    response = client.post(
        reverse("web:order_act", args=[first.number, "accept"]),
        {"expected_version": first.version, "category": district.cat_territorial.pk, "urgency": "normal"},
    )
    first.refresh_from_db()
    assert first.status in {Status.ACCEPTED, Status.ASSIGNED}
