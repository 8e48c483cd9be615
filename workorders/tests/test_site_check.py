"""现场核查 (issue 16): a category can require a site visit with photo and position before
the reply may be approved; the check is an event through the one transition table."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from attachments.models import Attachment
from workorders import services as svc
from workorders.errors import InvalidInput, InvalidTransition, NotAllowed
from workorders.models import WorkOrder
from workorders.services.site_check import NEAR_METRES, haversine_m, latest_site_check, site_check_nearness

# grid_a (hotline.testing) is the square lng 116.30-116.31, lat 39.90-39.91.
INSIDE = (39.905, 116.305)
JUST_OUTSIDE = (39.905, 116.3123)  # ~196 m east of the grid's edge
FAR = (39.905, 116.33)  # ~1.7 km east


def photo(name="site.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "gray").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def requiring(district):
    district.cat_territorial.requires_site_check = True
    district.cat_territorial.save()
    return district


def in_progress(d, log_call) -> WorkOrder:
    order = log_call()
    order = svc.work_order_assign(order=order, actor=d.user("dispatcher"), unit=d.street_a)
    return svc.work_order_sign(order=order, actor=d.user("handler_a"))


def check(d, order, at=INSIDE, **kw) -> WorkOrder:
    return svc.work_order_site_check(order=order, actor=d.user("handler_a"), photo=photo(), lat=at[0], lng=at[1], **kw)


def test_approve_is_refused_until_a_check_exists_then_allowed(requiring, log_call):
    d = requiring
    order = in_progress(d, log_call)
    order = svc.work_order_reply(order=order, actor=d.user("handler_a"), reply="已清理")
    with pytest.raises(InvalidInput) as exc:
        svc.work_order_approve(order=order, actor=d.user("dispatcher"))
    assert "site_check" in exc.value.errors and "现场核查" in str(exc.value.errors["site_check"])
    assert WorkOrder.objects.get(pk=order.pk).status == "replied"  # nothing changed

    order = svc.work_order_send_back(order=order, actor=d.user("dispatcher"), note="请现场核查")
    order = check(d, order, note="已到现场")
    order = svc.work_order_reply(order=order, actor=d.user("handler_a"), reply="已清理")
    order = svc.work_order_approve(order=order, actor=d.user("dispatcher"))
    assert order.status == "callback"


def test_check_records_photo_position_distance_and_does_not_change_status(requiring, log_call):
    d = requiring
    order = in_progress(d, log_call)
    version = order.version
    order = check(d, order, at=JUST_OUTSIDE, note="门口")
    assert order.status == "in_progress" and order.version == version + 1
    event = order.events.get(kind="site_check")
    assert event.actor == d.user("handler_a") and event.note == "门口"
    assert event.payload["lat"] == JUST_OUTSIDE[0] and event.payload["lng"] == JUST_OUTSIDE[1]
    assert event.payload["inside_grid"] is False and 150 < event.payload["distance_m"] < 250
    assert Attachment.objects.filter(pk=event.payload["attachment"], order=order).exists()
    assert latest_site_check(order) == event


def test_a_check_far_from_the_grid_is_refused_and_stores_nothing(requiring, log_call):
    d = requiring
    order = in_progress(d, log_call)
    with pytest.raises(InvalidInput) as exc:
        check(d, order, at=FAR)
    assert "lat" in exc.value.errors and "300" in str(exc.value.errors["lat"])
    assert not order.events.filter(kind="site_check").exists()
    assert not Attachment.objects.filter(order=order).exists()
    assert WorkOrder.objects.get(pk=order.pk).version == order.version


@pytest.mark.parametrize(
    "lat,lng,field", [("abc", 116.3, "lat"), (91, 116.3, "lat"), (39.9, 181, "lng"), (None, 116.3, "lat")]
)
def test_bad_positions_are_refused(requiring, log_call, lat, lng, field):
    d = requiring
    order = in_progress(d, log_call)
    with pytest.raises(InvalidInput) as exc:
        svc.work_order_site_check(order=order, actor=d.user("handler_a"), photo=photo(), lat=lat, lng=lng)
    assert field in exc.value.errors
    assert not order.events.filter(kind="site_check").exists()


def test_a_photo_is_required_and_must_be_an_image(requiring, log_call):
    d = requiring
    order = in_progress(d, log_call)
    with pytest.raises(InvalidInput) as exc:
        svc.work_order_site_check(order=order, actor=d.user("handler_a"), photo=None, lat=INSIDE[0], lng=INSIDE[1])
    assert "photo" in exc.value.errors
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    with pytest.raises(InvalidInput):
        svc.work_order_site_check(order=order, actor=d.user("handler_a"), photo=fake, lat=INSIDE[0], lng=INSIDE[1])
    assert not order.events.filter(kind="site_check").exists()


def test_a_check_before_a_reassignment_no_longer_counts(requiring, log_call):
    d = requiring
    h, disp = d.user("handler_a"), d.user("dispatcher")
    order = check(d, in_progress(d, log_call))
    # A send-back is not a reassignment: the unit's earlier check still counts.
    order = svc.work_order_reply(order=order, actor=h, reply="已清理")
    order = svc.work_order_send_back(order=order, actor=disp, note="请补充")
    assert latest_site_check(order) is not None
    # Sent down, bounced to the center (as the transition matrix sets up the
    # HOTLINE_MAX_RETURNS 兜底) and sent on to another street: that unit must check anew.
    order = svc.work_order_sub_dispatch(order=order, actor=h, unit=d.community_a)
    WorkOrder.objects.filter(pk=order.pk).update(current_unit=d.center, lead_unit=d.center)
    order = svc.work_order_center_redispatch(order=order, actor=disp, unit=d.street_b, note="兜底改派")
    order = svc.work_order_sign(order=order, actor=d.user("handler_b"))
    order = svc.work_order_reply(order=order, actor=d.user("handler_b"), reply="已清理")
    assert latest_site_check(order) is None
    with pytest.raises(InvalidInput):
        svc.work_order_approve(order=order, actor=disp)
    order = svc.work_order_send_back(order=order, actor=disp, note="请现场核查")
    order = svc.work_order_site_check(
        order=order, actor=d.user("handler_b"), photo=photo(), lat=INSIDE[0], lng=INSIDE[1]
    )
    order = svc.work_order_reply(order=order, actor=d.user("handler_b"), reply="已清理")
    assert svc.work_order_approve(order=order, actor=disp).status == "callback"


def test_only_the_handling_unit_may_check_and_only_while_handling(requiring, log_call):
    d = requiring
    order = log_call()
    with pytest.raises(InvalidTransition):
        check(d, order)
    order = svc.work_order_assign(order=order, actor=d.user("dispatcher"), unit=d.street_a)
    order = svc.work_order_sign(order=order, actor=d.user("handler_a"))
    with pytest.raises(NotAllowed):
        svc.work_order_site_check(order=order, actor=d.user("dispatcher"), photo=photo(), lat=INSIDE[0], lng=INSIDE[1])


def test_categories_without_the_flag_approve_as_before(district, log_call):
    d = district
    order = in_progress(d, log_call)
    order = svc.work_order_reply(order=order, actor=d.user("handler_a"), reply="已清理")
    assert svc.work_order_approve(order=order, actor=d.user("dispatcher")).status == "callback"


def test_nearness_is_measured_from_the_position_when_the_order_has_no_grid(district, log_call):
    order = log_call()
    order.grid = None
    near = site_check_nearness(order=order, lat=39.906, lng=116.305)
    assert near.measured_from == "position" and abs(near.distance_m - haversine_m(39.906, 116.305, 39.905, 116.305)) < 1
    assert 100 < near.distance_m < 120 < NEAR_METRES
