"""Publishing rules: who may publish where, schedule, priority order, upload checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hotline.testing import image_bytes
from screens.models import Notice, Priority
from screens.selectors import notices_current, publishable_communities, screens_overview
from screens.services import notice_publish, notice_withdraw, screen_check_in, screen_create, screen_revoke
from workorders.errors import InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db


def _publish(district, user="supervisor", communities=None, **kw):
    now = timezone.now()
    fields = {
        "title": "台风预警",
        "body": "今晚有台风，请勿外出。",
        "community_ids": [c.pk for c in (communities if communities is not None else [district.community_a])],
        "starts_at": now - timedelta(minutes=1),
        "ends_at": now + timedelta(hours=6),
        "priority": Priority.NORMAL,
    } | kw
    return notice_publish(actor=district.user(user), **fields)


def test_center_supervisor_publishes_to_several_communities_at_once(district):
    notice = _publish(district, communities=[district.community_a, district.community_b])
    assert set(notice.communities.all()) == {district.community_a, district.community_b}
    assert notice.publisher_unit == district.center
    assert list(notices_current(community=district.community_b)) == [notice]


def test_street_supervisor_may_publish_only_to_communities_under_the_street(district):
    boss_a = district.user("supervisor_a")
    assert list(publishable_communities(boss_a)) == [district.community_a]
    notice = _publish(district, user="supervisor_a")
    assert notice.publisher_unit == district.street_a
    with pytest.raises(InvalidInput) as exc:
        _publish(district, user="supervisor_a", title="越权", communities=[district.community_a, district.community_b])
    assert "communities" in exc.value.errors
    assert not Notice.objects.filter(title="越权").exists()  # nothing sent to community A either


@pytest.mark.parametrize("user", ["handler_a", "handler_community_a", "operator", "dispatcher", "grid_worker_a"])
def test_other_roles_may_not_publish(district, user):
    with pytest.raises(NotAllowed):
        _publish(district, user=user)
    assert not Notice.objects.exists()


def test_bad_fields_refused_with_every_error_and_nothing_saved(district):
    now = timezone.now()
    with pytest.raises(InvalidInput) as exc:
        _publish(district, title=" ", body="", starts_at=now, ends_at=now - timedelta(hours=1), priority=99)
    assert set(exc.value.errors) == {"title", "body", "ends_at", "priority"}
    with pytest.raises(InvalidInput) as exc:
        _publish(district, communities=[], ends_at=None)
    assert set(exc.value.errors) == {"communities", "ends_at"}
    assert not Notice.objects.exists()


def test_image_is_validated_and_stored(district, tmp_path, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(InvalidInput) as exc:
        _publish(district, image=SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png"))
    assert "image" in exc.value.errors
    notice = _publish(district, image=SimpleUploadedFile("flood.png", image_bytes("PNG"), content_type="image/png"))
    assert notice.image_type == "image/png" and notice.image.read().startswith(b"\x89PNG")


def test_schedule_shows_a_notice_only_between_start_and_end(district):
    now = timezone.now()
    later = _publish(district, title="明天", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2))
    over = _publish(district, title="昨天", starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1))
    assert list(notices_current(community=district.community_a, now=now)) == []
    assert list(notices_current(community=district.community_a, now=now + timedelta(days=1, hours=1))) == [later]
    assert list(notices_current(community=district.community_a, now=now - timedelta(days=1, hours=1))) == [over]
    # the end is exclusive
    assert list(notices_current(community=district.community_a, now=later.ends_at)) == []


def test_current_notices_are_ordered_by_priority_then_newest(district):
    now = timezone.now()
    normal = _publish(district, title="停水通知", starts_at=now - timedelta(hours=3))
    urgent = _publish(district, title="防台防汛", priority=Priority.URGENT, starts_at=now - timedelta(hours=2))
    newer = _publish(district, title="停电通知", starts_at=now - timedelta(hours=1))
    important = _publish(district, title="疫苗接种", priority=Priority.IMPORTANT, starts_at=now - timedelta(hours=4))
    assert list(notices_current(community=district.community_a)) == [urgent, important, newer, normal]


def test_withdrawn_notice_leaves_the_screens_and_a_street_cannot_withdraw_the_centers(district):
    notice = _publish(district, communities=[district.community_a, district.community_b])
    with pytest.raises(NotAllowed):
        notice_withdraw(actor=district.user("supervisor_a"), notice=notice)
    notice_withdraw(actor=district.user("supervisor"), notice=notice)
    assert list(notices_current(community=district.community_a)) == []


def test_token_is_stored_hashed_and_check_in_records_the_time(district):
    screen, token = screen_create(community=district.community_a, name="大厅")
    assert token not in screen.token_hash and len(screen.token_hash) == 64
    when = timezone.now()
    assert screen_check_in(token=token, now=when) == screen
    screen.refresh_from_db()
    assert screen.last_seen_at == when
    assert screen_check_in(token=token + "x") is None
    screen_revoke(screen=screen)
    assert screen_check_in(token=token) is None


def test_screen_must_belong_to_a_community(district):
    with pytest.raises(InvalidInput):
        screen_create(community=district.street_a, name="街道大屏")


def test_screen_that_stopped_checking_in_is_flagged(district):
    now = timezone.now()
    fresh, t1 = screen_create(community=district.community_a, name="大厅")
    stale, t2 = screen_create(community=district.community_a, name="门口")
    never, _t3 = screen_create(community=district.community_b, name="乙一")
    off, t4 = screen_create(community=district.community_b, name="旧屏")
    screen_check_in(token=t1, now=now - timedelta(minutes=2))
    screen_check_in(token=t2, now=now - timedelta(minutes=11))
    screen_revoke(screen=off)
    flags = {r.screen.name: r.quiet for r in screens_overview(user=district.user("supervisor"), now=now)}
    assert flags == {"大厅": False, "门口": True, "乙一": True, "旧屏": False}
    # a street sees its own communities' screens only
    assert {r.screen.name for r in screens_overview(user=district.user("supervisor_a"), now=now)} == {"大厅", "门口"}


def test_image_is_stored_without_its_exif(district, tmp_path, settings):
    from PIL import Image

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (39.0, 54.0, 0.0)}  # GPSInfo: latitude
    raw = image_bytes("JPEG", exif=exif)
    assert b"PhoneMaker" in raw
    notice = _publish(district, image=SimpleUploadedFile("p.jpg", raw, content_type="image/jpeg"))
    stored = notice.image.read()
    assert stored.startswith(b"\xff\xd8") and b"PhoneMaker" not in stored and b"Exif" not in stored
