"""The admin reads orders, never changes them, shows personal data masked, and a full
view is the audited reveal_caller event."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from workorders.models import Deadline, Event, WorkOrder

PHONE, NAME = "13812345678", "张三丰"
TEXT = f"我是{NAME}，电话{PHONE}，身份证110101199003071234，车牌京A12345，住3号楼2单元501"


@pytest.fixture
def order(log_call):
    return log_call(caller_name=NAME, caller_phone=PHONE, title=f"{NAME}反映占道", description=TEXT)


@pytest.fixture
def admin_user(client, district):
    user = district.user("admin")
    user.is_staff = True
    user.is_superuser = True
    user.save()
    client.force_login(user)
    return user


def _change(client, order):
    return client.get(reverse("admin:workorders_workorder_change", args=[order.pk]))


def test_admin_order_page_masks_the_caller_and_the_free_text(client, admin_user, order):
    body = _change(client, order).content.decode()
    for secret in (PHONE, NAME, "110101199003071234", "京A12345", "2单元501"):
        assert secret not in body
    assert "138****5678" in body and "[身份证号]" in body and "[车牌]" in body
    assert reverse("admin:workorders_workorder_reveal", args=[order.pk]) in body  # the audited way in
    changelist = client.get(reverse("admin:workorders_workorder_changelist")).content.decode()
    assert NAME not in changelist
    assert not Event.objects.filter(order=order, kind="reveal_caller").exists()


def test_admin_cannot_change_workflow_fields_of_an_order(client, admin_user, order, district):
    url = reverse("admin:workorders_workorder_change", args=[order.pk])
    before = Deadline.objects.filter(order=order).count()
    response = client.post(
        url,
        {
            "title": "改过的标题",
            "caller_phone": "13900000000",
            "caller_confidential": "on",
            "urgency": "urgent",
            "category": district.cat_department.pk,
            "street": district.street_b.pk,
        },
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert (order.title, order.caller_phone, order.caller_confidential, order.urgency) == (
        f"{NAME}反映占道",
        PHONE,
        False,
        "normal",
    )
    assert order.category_id == district.cat_territorial.pk and order.street_id == district.street_a.pk
    assert Deadline.objects.filter(order=order).count() == before


def test_admin_full_view_is_an_audited_reveal(client, admin_user, order):
    response = client.post(reverse("admin:workorders_workorder_reveal", args=[order.pk]))
    assert response.status_code == 302
    event = Event.objects.get(order=order, kind="reveal_caller")
    assert event.actor == admin_user
    body = _change(client, order).content.decode()
    assert PHONE in body and TEXT in body
    order.refresh_from_db()
    assert order.version == 1  # audit-only: not a change


def test_admin_cannot_reveal_a_confidential_caller(client, admin_user, log_call):
    secret = log_call(caller_confidential=True, caller_name=NAME, caller_phone=PHONE, description=TEXT)
    client.post(reverse("admin:workorders_workorder_reveal", args=[secret.pk]))
    assert not Event.objects.filter(order=secret, kind="reveal_caller").exists()
    body = _change(client, secret).content.decode()
    assert PHONE not in body and NAME not in body


def test_a_superuser_without_a_role_reads_masked_and_cannot_reveal(client, district, order):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    client.post(reverse("admin:workorders_workorder_reveal", args=[order.pk]))
    assert not Event.objects.filter(order=order, kind="reveal_caller").exists()
    assert PHONE not in _change(client, order).content.decode()
    assert WorkOrder.objects.get(pk=order.pk).version == 1


def test_event_admin_shows_notes_redacted(client, admin_user, log_call, district):
    from workorders.services import work_order_answer_now

    o = log_call(caller_name=NAME, caller_phone=PHONE)
    work_order_answer_now(order=o, actor=district.user("operator"), answer=f"已答复{NAME}，回拨{PHONE}")
    event = Event.objects.get(order=o, kind="answer_now")
    body = client.get(reverse("admin:workorders_event_change", args=[event.pk])).content.decode()
    assert PHONE not in body and NAME not in body and "138****5678" in body
