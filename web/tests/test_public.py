import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from workorders.choices import Channel, Status
from workorders.models import WorkOrder


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_qr_form_submits_located_in_the_community_and_gives_a_receipt(client, district):
    response = client.post(
        reverse("web:public_report_at", args=[district.community_b.code]),
        {
            "description": "楼道灯坏了一个月",
            "caller_phone": "13600001111",
            "photo": SimpleUploadedFile("a.png", png_bytes(), content_type="image/png"),
        },
    )
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.channel == Channel.QR and order.status == Status.SUBMITTED
    assert order.community == district.community_b and order.attachments.count() == 1
    body = client.get(response.url).content.decode()
    assert order.number in body and order.tracking_code in body


def test_a_non_image_upload_is_refused_and_the_text_kept(client, district):
    response = client.post(
        reverse("web:public_report_at", args=[district.community_a.code]),
        {
            "description": "路灯不亮",
            "caller_phone": "13600001111",
            "photo": SimpleUploadedFile("a.png", b"MZ\x90\x00 not an image", content_type="image/png"),
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "只接受 JPEG、PNG、GIF 或 WebP 图片" in body and "路灯不亮" in body and "13600001111" in body
    assert not WorkOrder.objects.exists()


def test_empty_and_oversize_fields_answer_with_messages(client, district):
    response = client.post(reverse("web:public_report"), {"description": "", "caller_phone": ""})
    assert response.status_code == 400 and "该字段是必填项" in response.content.decode()
    response = client.post(reverse("web:public_report"), {"description": "长" * 2001, "caller_phone": "13600001111"})
    assert response.status_code == 400 and "2000" in response.content.decode()


def test_public_form_is_throttled(client, district):
    for _ in range(5):
        client.post(reverse("web:public_report"), {"description": "x", "caller_phone": "13600001111"})
    response = client.post(reverse("web:public_report"), {"description": "x", "caller_phone": "13600001111"})
    assert response.status_code == 429 and "提交过于频繁" in response.content.decode()
    assert WorkOrder.objects.count() == 5


def test_track_shows_progress_in_plain_words_and_nobodys_personal_data(client, log_call):
    order = log_call()
    response = client.post(reverse("web:public_track"), {"number": order.number, "code": order.tracking_code})
    body = response.content.decode()
    assert response.status_code == 200 and "正在分派" in body
    assert "13812345678" not in body and "张三" not in body
    response = client.post(reverse("web:public_track"), {"number": order.number, "code": "WRONG1"})
    assert response.status_code == 404 and "工单号或查询码不正确" in response.content.decode()


def test_resident_rates_after_the_reply(client, district, assigned):
    from workorders.services import work_order_approve, work_order_reply, work_order_sign

    order = work_order_sign(order=assigned, actor=district.user("handler_a"))
    order = work_order_reply(order=order, actor=district.user("handler_a"), reply="已清理。")
    order = work_order_approve(order=order, actor=district.user("dispatcher"))
    body = client.post(
        reverse("web:public_track"), {"number": order.number, "code": order.tracking_code}
    ).content.decode()
    assert "请评价办理结果" in body and "已清理。" in body
    response = client.post(
        reverse("web:public_rate"),
        {"number": order.number, "code": order.tracking_code, "resolution": "solved", "satisfaction": "basic"},
    )
    assert response.status_code == 200 and "感谢您的评价" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.CLOSED and order.callback_satisfaction == "basic"


def test_posters_png_and_pdf(login, district):
    client = login("supervisor")
    png = client.get(reverse("web:poster", args=[district.community_a.code, "png"]))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    pdf = client.get(reverse("web:poster", args=[district.community_a.code, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(reverse("web:poster", args=[district.community_a.code, "exe"])).status_code == 404
    assert client.get(reverse("web:poster", args=[district.grid_a.code, "png"])).status_code == 404
