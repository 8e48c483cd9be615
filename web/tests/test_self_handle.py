"""自行处置: a grid worker closes what they fixed on the spot, with a photo and a word on
what they did, through the self_handle transition (its own event, one transaction)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attachments.models import Attachment
from web.tests.test_patrol import _post
from web.tests.test_public import png_bytes
from workorders.choices import Status
from workorders.errors import InvalidInput, NotAllowed
from workorders.models import WorkOrder
from workorders.services import work_order_self_handle, work_order_submit


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _photo():
    return SimpleUploadedFile("done.png", png_bytes(), content_type="image/png")


def test_a_report_fixed_on_the_spot_closes_with_its_photo_and_event(login, district):
    response = _post(
        login("grid_worker_a"), district, self_handled="on", result="已劝离摊贩，通道已清理。", photo=_photo()
    )
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.status == Status.CLOSED and order.reply == "已劝离摊贩，通道已清理。"
    assert [e.kind for e in order.events.order_by("seq")] == ["submit", "self_handle"]
    assert order.attachments.count() == 1
    body = login("grid_worker_a").get(reverse("web:patrol_mine")).content.decode()
    assert order.number in body and "已办结" in body


def test_self_handling_needs_a_photo_and_a_result_and_loses_no_text(login, district):
    response = _post(login("grid_worker_a"), district, self_handled="on", result="")
    assert response.status_code == 400
    body = response.content.decode()
    assert "自行处置请写明处置情况" in body and "自行处置需上传处置后的现场照片" in body
    assert "幸福里小区东门有小贩占道摆摊" in body  # what was typed comes back
    assert not WorkOrder.objects.exists()


def test_the_service_refuses_without_a_photo_and_changes_nothing(district):
    worker = district.user("grid_worker_a")
    order = work_order_submit(
        actor=worker, channel="patrol", title="井盖", description="井盖破损。", lat=39.905, lng=116.305
    )
    with pytest.raises(InvalidInput) as info:
        work_order_self_handle(order=order, actor=worker, result="已盖好")
    assert "photo" in info.value.details["errors"]
    order.refresh_from_db()
    assert order.status == Status.SUBMITTED and order.events.count() == 1


def test_only_the_worker_who_reported_it_may_self_handle(district, log_call):
    order = work_order_submit(channel="qr", title="井盖", description="井盖破损。", caller_phone="13900001111")
    with pytest.raises(NotAllowed):
        work_order_self_handle(order=order, actor=district.user("grid_worker_a"), result="已盖好")
    with pytest.raises(NotAllowed):
        work_order_self_handle(order=order, actor=district.user("operator"), result="已盖好")


def test_a_refused_self_handle_on_the_page_keeps_no_order_and_no_photo(login, district, monkeypatch):
    import workorders.services.intake

    def refuse(**kwargs):  # the close fails after the report and its photo were written
        raise InvalidInput({"result": "处置情况有误"})

    monkeypatch.setattr(workorders.services.intake, "work_order_self_handle", refuse)
    response = _post(login("grid_worker_a"), district, self_handled="on", result="已处理", photo=_photo())
    assert response.status_code == 400 and "处置情况有误" in response.content.decode()
    assert not WorkOrder.objects.exists() and not Attachment.objects.exists()
