"""Publishing notices to community screens, and the screens' own life: created with a
secret token, checking in on every poll, revoked from the admin."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attachments.processing import _without_metadata
from attachments.services import attachment_check
from grids.models import OrgUnit, UnitKind
from grids.selectors import memberships_of
from screens.models import Notice, Priority, Screen
from screens.selectors import PUBLISHING_ROLES, publishable_communities
from workorders.errors import InvalidInput, NotAllowed


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _publisher_unit(user: AbstractBaseUser) -> OrgUnit:
    units = [m.unit for m in memberships_of(user) if m.role in PUBLISHING_ROLES]
    units.sort(key=lambda u: (u.kind != UnitKind.CENTER, u.path))  # the center signs first
    if units:
        return units[0]
    center = OrgUnit.objects.filter(kind=UnitKind.CENTER).first()  # a superuser with no membership
    if center is None:
        raise NotAllowed(_("没有可署名的单位。"))
    return center


def notice_publish(
    *,
    actor: AbstractBaseUser,
    title: str,
    body: str,
    community_ids: Iterable[int],
    starts_at: datetime | None,
    ends_at: datetime | None,
    priority: int = Priority.NORMAL,
    image: UploadedFile | None = None,
) -> Notice:
    """Publish one notice to several communities at once. A street publishes only to
    communities under it; a community outside the actor's reach refuses the whole
    notice (nothing is sent to the others either), as does any invalid field."""
    allowed = publishable_communities(actor)
    if not allowed.exists():
        raise NotAllowed(_("只有中心或街道的督办、管理员可以发布屏幕公告。"))
    errors: dict[str, str] = {}
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        errors["title"] = _("请填写标题。")
    elif len(title) > 80:
        errors["title"] = _("标题不能超过 80 字。")
    if not body:
        errors["body"] = _("请填写正文。")
    elif len(body) > 2000:
        errors["body"] = _("正文不能超过 2000 字。")
    ids = {int(i) for i in community_ids}
    if not ids:
        errors["communities"] = _("请至少选择一个社区。")
    else:
        found = set(allowed.filter(pk__in=ids).values_list("pk", flat=True))
        if found != ids:
            errors["communities"] = _("所选社区不在您的管辖范围内。")
    if starts_at is None:
        starts_at = timezone.now()
    if ends_at is None:
        errors["ends_at"] = _("请填写结束时间。")
    elif ends_at <= starts_at:
        errors["ends_at"] = _("结束时间必须晚于开始时间。")
    if priority not in Priority.values:
        errors["priority"] = _("优先级无效。")
    image_type, image_bytes = "", b""
    if image is not None:
        try:
            image_type = attachment_check(upload=image, field="image", public=False)
            # Shown to the public: re-encoded without EXIF (where the photo was taken,
            # the device) by the attachments app's own routine. Done in the request,
            # not by the outbox worker as for order photos: one image per notice, and
            # the publisher should learn at once if it cannot be decoded.
            image_bytes = _without_metadata(image, image_type)
        except InvalidInput as exc:
            errors.update({k: " ".join(v) for k, v in exc.errors.items()})
        except Exception:  # noqa: BLE001 - any decoder failure is the same bad upload
            errors["image"] = _("图片已损坏或无法读取。")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        notice = Notice(
            title=title,
            body=body,
            priority=priority,
            starts_at=starts_at,
            ends_at=ends_at,
            publisher_unit=_publisher_unit(actor),
            created_by=actor,
            image_type=image_type,
        )
        if image is not None:
            notice.image.save(f"notice.{image_type.split('/')[-1]}", ContentFile(image_bytes), save=False)
        notice.save()
        notice.communities.set(ids)
    return notice


def notice_withdraw(*, actor: AbstractBaseUser, notice: Notice, now: datetime | None = None) -> Notice:
    """Take a notice off the screens. Only someone who may publish to all of its
    communities may withdraw it (a street cannot pull the center's district-wide notice)."""
    allowed = set(publishable_communities(actor).values_list("pk", flat=True))
    if not allowed or not set(notice.communities.values_list("pk", flat=True)) <= allowed:
        raise NotAllowed(_("您不能撤下这条公告。"))
    Notice.objects.filter(pk=notice.pk, withdrawn_at__isnull=True).update(withdrawn_at=now or timezone.now())
    notice.refresh_from_db()
    return notice


def screen_create(*, community: OrgUnit, name: str) -> tuple[Screen, str]:
    """A new screen and its token. The token is returned once (shown in the admin to be
    put into the kiosk's URL) and only its hash is kept."""
    if community.kind != UnitKind.COMMUNITY:
        raise InvalidInput({"community": _("屏幕只能属于社区。")})
    token = secrets.token_urlsafe(24)
    screen = Screen.objects.create(
        community=community, name=name.strip() or community.name, token_hash=token_hash(token)
    )
    return screen, token


def screen_revoke(*, screen: Screen, now: datetime | None = None) -> Screen:
    Screen.objects.filter(pk=screen.pk, revoked_at__isnull=True).update(revoked_at=now or timezone.now())
    screen.refresh_from_db()
    return screen


def screen_by_token(*, token: str) -> Screen | None:
    return (
        Screen.objects.select_related("community").filter(token_hash=token_hash(token), revoked_at__isnull=True).first()
    )


def screen_check_in(*, token: str, now: datetime | None = None) -> Screen | None:
    """The screen a token opens (None for an unknown or revoked one), recording that it
    checked in. One UPDATE, so two polls at once cannot lose each other's time."""
    now = now or timezone.now()
    digest = token_hash(token)
    updated = Screen.objects.filter(token_hash=digest, revoked_at__isnull=True).update(last_seen_at=now)
    if not updated:
        return None
    return Screen.objects.select_related("community").get(token_hash=digest)
