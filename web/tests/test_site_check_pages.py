"""现场核查 on the pages (issue 16): the handler records it on the order page, the desk
refuses approval without it with a clear message, and the reviewer sees who, when, where,
how far and the photo."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attachments.models import Attachment
from attachments.processing import attachments_process_waiting
from web.tests.test_public import png_bytes
from workorders import services as svc
from workorders.models import WorkOrder


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def order(district, log_call):
    district.cat_territorial.requires_site_check = True
    district.cat_territorial.save()
    o = svc.work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    return svc.work_order_sign(order=o, actor=district.user("handler_a"))


def _check(client, order, **fields):
    data = {"expected_version": order.version, "lat": "39.905", "lng": "116.305", "note": "已到现场"}
    data.update(fields)
    if "photo" not in fields:
        data["photo"] = SimpleUploadedFile("site.png", png_bytes(), content_type="image/png")
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(reverse("web:order_act", args=[order.number, "site_check"]), data)


def test_the_handler_records_a_check_on_the_order_page(login, district, order):
    client = login("handler_a")
    page = client.get(reverse("web:order", args=[order.number])).content.decode()
    assert "本分类需现场核查" in page and 'name="lat"' in page and 'data-geo="lat"' in page
    response = _check(client, order)
    assert response.status_code == 302
    event = WorkOrder.objects.get(pk=order.pk).events.get(kind="site_check")
    assert event.payload["inside_grid"] is True and Attachment.objects.filter(pk=event.payload["attachment"]).exists()
    page = client.get(reverse("web:order", args=[order.number])).content.decode()
    assert "在网格内" in page and "39.90500" in page


def test_a_far_check_on_the_page_shows_the_reason_and_keeps_the_note(login, district, order):
    response = _check(login("handler_a"), order, lng="116.33", note="楼下看过")
    assert response.status_code == 400
    body = response.content.decode()
    assert "超出 300 米" in body and "楼下看过" in body
    assert not Attachment.objects.filter(order=order).exists()


def test_a_check_without_photo_is_refused_on_the_page(login, district, order):
    response = _check(login("handler_a"), order, photo=None)
    assert response.status_code == 400
    assert not WorkOrder.objects.get(pk=order.pk).events.filter(kind="site_check").exists()


def test_the_desk_refuses_approval_without_a_check_then_shows_it(login, district, order):
    replied = svc.work_order_reply(order=order, actor=district.user("handler_a"), reply="已清理")
    client = login("dispatcher")
    pane = client.get(reverse("web:desk") + f"?tab=replies&order={replied.number}").content.decode()
    assert "尚未现场核查" in pane
    response = client.post(
        reverse("web:order_act", args=[replied.number, "approve"]), {"expected_version": replied.version, "note": ""}
    )
    assert response.status_code == 400 and "该分类需现场核查" in response.content.decode()
    assert WorkOrder.objects.get(pk=replied.pk).status == "replied"

    back = svc.work_order_send_back(order=replied, actor=district.user("dispatcher"), note="请现场核查")
    assert _check(login("handler_a"), back).status_code == 302
    page = login("dispatcher").get(reverse("web:order", args=[back.number])).content.decode()
    assert "处理中" in page  # the photo is not served before the worker re-encodes it
    attachments_process_waiting(order_id=back.pk)  # what the outbox's worker runs
    again = svc.work_order_reply(
        order=WorkOrder.objects.get(pk=back.pk), actor=district.user("handler_a"), reply="已清理"
    )
    client = login("dispatcher")
    pane = client.get(reverse("web:desk") + f"?tab=replies&order={again.number}").content.decode()
    assert "尚未现场核查" not in pane and "在网格内" in pane and "现场核查照片" in pane
    assert district.user("handler_a").username in pane or district.user("handler_a").get_full_name() in pane
    response = client.post(
        reverse("web:order_act", args=[again.number, "approve"]), {"expected_version": again.version, "note": ""}
    )
    assert response.status_code == 302 and WorkOrder.objects.get(pk=again.pk).status == "callback"


def test_the_desk_pane_approve_is_refused_in_place_without_a_check(login, district, order):
    replied = svc.work_order_reply(order=order, actor=district.user("handler_a"), reply="已清理")
    response = login("dispatcher").post(
        reverse("web:desk_act", args=[replied.number, "approve"]),
        {"expected_version": replied.version, "note": "", "tab": "replies"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400 and "该分类需现场核查" in response.content.decode()
    assert WorkOrder.objects.get(pk=replied.pk).status == "replied"
