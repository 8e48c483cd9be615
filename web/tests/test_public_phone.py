"""The resident's phone pages: a receipt to keep (copy, QR of the tracking link, a PNG),
the place in words, a timeline that says each thing once, the rating shown back."""

import io

from django.urls import reverse
from PIL import Image

from workorders.choices import Status
from workorders.models import WorkOrder
from workorders.public import public_track
from workorders.services import (
    work_order_approve,
    work_order_assign,
    work_order_reply,
    work_order_sign,
    work_order_sub_dispatch,
)


def _submit(client, district):
    response = client.post(
        reverse("web:public_report_at", args=[district.community_a.code]),
        {"description": "楼道灯坏了一个月", "caller_phone": "13600001111"},
    )
    assert response.status_code == 302
    return WorkOrder.objects.get()


def test_the_receipt_has_a_qr_of_the_tracking_link_a_copy_button_and_a_picture(client, district):
    order = _submit(client, district)
    body = client.get(reverse("web:public_done")).content.decode()
    link = f"/track/?number={order.number}&amp;code={order.tracking_code}"
    assert link in body  # the button and the QR both lead there
    assert '<svg class="qr" role="img"' in body and "<path" in body and "<?xml" not in body
    assert f'data-copy="工单号 {order.number} 查询码 {order.tracking_code} http' in body
    png = client.get(reverse("web:public_done_png"))
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size == (720, 1080)


def test_the_receipt_picture_needs_the_receipt_in_the_session(client, district):
    assert client.get(reverse("web:public_done_png")).status_code == 404


def test_the_tracking_link_fills_in_number_and_code_but_looks_nothing_up(client, district):
    order = _submit(client, district)
    body = client.get(reverse("web:public_track"), {"number": order.number, "code": order.tracking_code}).content
    body = body.decode()
    assert f'value="{order.tracking_code}"' in body and f'value="{order.number}"' in body
    assert "楼道灯" not in body  # still a POST behind the throttle and the lock-out


def test_the_position_is_told_back_in_words(client, district):
    body = client.get(reverse("web:public_where"), {"lat": 39.905, "lng": 116.305}).json()
    assert body == {"place": f"{district.street_a.name} · {district.community_a.name} · 甲一1号网格"}
    assert client.get(reverse("web:public_where"), {"lat": 10, "lng": 10}).json() == {"place": ""}
    assert client.get(reverse("web:public_where"), {"lat": "x"}).json() == {"place": ""}


def test_the_timeline_says_signed_once_when_the_order_is_handed_down(district, log_call):
    order = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    order = work_order_sign(order=order, actor=district.user("handler_a"))
    order = work_order_sub_dispatch(order=order, actor=district.user("handler_a"), unit=district.community_a)
    order = work_order_sign(order=order, actor=district.user("handler_community_a"))
    view = public_track(number=order.number, code=order.tracking_code)
    texts = [s.text for s in view.steps]
    assert texts.count("负责单位签收") == 1, texts


def test_the_rating_is_shown_back_after_rating(client, district, log_call):
    order = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    order = work_order_sign(order=order, actor=district.user("handler_a"))
    order = work_order_reply(order=order, actor=district.user("handler_a"), reply="已修好。")
    order = work_order_approve(order=order, actor=district.user("dispatcher"))
    response = client.post(
        reverse("web:public_rate"),
        {"number": order.number, "code": order.tracking_code, "resolution": "solved", "satisfaction": "satisfied"},
    )
    body = response.content.decode()
    assert WorkOrder.objects.get(pk=order.pk).status == Status.CLOSED
    assert "评价结果" in body and "已解决 · 满意" in body
