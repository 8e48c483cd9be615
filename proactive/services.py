"""Topics (专题, 每月一题): promoted from a signal by a supervisor, worked through
milestones, orders linked as they come, closed with a result. Every change is a
TopicEvent row written in the same transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import OrgUnit, Role
from grids.selectors import roles_of
from proactive.models import Milestone, Signal, Topic, TopicEvent, TopicOrder, TopicStatus
from workorders.errors import Conflict, InvalidInput, NotAllowed
from workorders.models import WorkOrder
from workorders.selectors import work_orders_visible_to

MANAGING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
VOLUME_WINDOW = timedelta(weeks=4)


def may_manage_topics(user: AbstractBaseUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or roles_of(user) & MANAGING_ROLES))


def _require_manager(user: AbstractBaseUser) -> None:
    if not may_manage_topics(user):
        raise NotAllowed(_("只有督办人员可以管理专题。"))


def _require_text(errors: dict, name: str, value: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        errors[name] = _("请填写此项。")
    elif len(value) > limit:
        errors[name] = _("不能超过 %(limit)d 个字符（现为 %(n)d）。") % {"limit": limit, "n": len(value)}
    return value


def _log(topic: Topic, kind: str, actor: AbstractBaseUser, at: datetime, note: str = "") -> None:
    TopicEvent.objects.create(topic=topic, kind=kind, actor=actor, at=at, note=note[:500])


def topic_promote(
    *,
    signal: Signal,
    actor: AbstractBaseUser,
    title: str,
    owner: AbstractBaseUser | None,
    plan: str,
    due: date | None,
    now: datetime | None = None,
) -> Topic:
    """A signal becomes a topic: its orders that the actor may see are linked."""
    _require_manager(actor)
    now = now or timezone.now()
    errors: dict = {}
    title = _require_text(errors, "title", title, 200)
    plan = _require_text(errors, "plan", plan, 4000)
    if owner is None:
        errors["owner"] = _("请选择负责人。")
    if due is None:
        errors["due"] = _("请填写完成期限。")
    elif due < timezone.localdate(now):
        errors["due"] = _("完成期限不能早于今天。")
    if errors:
        raise InvalidInput(errors)
    visible = work_orders_visible_to(actor).filter(pk__in=signal.orders.values("pk")).values_list("pk", flat=True)
    with transaction.atomic():
        topic = Topic.objects.create(
            title=title,
            plan=plan,
            owner=owner,
            due=due,
            category_id=signal.category_id,
            place_id=signal.place_id,
            source=signal,
            created_by=actor,
            created_at=now,
        )
        TopicOrder.objects.bulk_create([TopicOrder(topic=topic, order_id=pk) for pk in visible])
        _log(topic, "created", actor, now, title)
    return topic


def _locked_open(topic: Topic, version: int | None) -> Topic:
    locked = Topic.objects.select_for_update().get(pk=topic.pk)
    if version is not None and locked.version != version:
        raise Conflict(_("专题已被他人修改，请刷新后重试。"))
    if locked.status != TopicStatus.OPEN:
        raise Conflict(_("专题已办结。"))
    return locked


def topic_link_order(*, topic: Topic, order: WorkOrder, actor: AbstractBaseUser, now: datetime | None = None) -> bool:
    """Link an order the actor may see; False when it was linked already."""
    _require_manager(actor)
    if not work_orders_visible_to(actor).filter(pk=order.pk).exists():
        raise NotAllowed(_("无权查看该工单。"))
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_open(topic, None)
        _link, created = TopicOrder.objects.get_or_create(topic=locked, order=order)
        if created:
            _log(locked, "linked", actor, now, order.number)
    return created


def topic_raise_order(
    *,
    topic: Topic,
    actor: AbstractBaseUser,
    description: str,
    place: OrgUnit | None,
    address: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """未诉先办 from a topic: a problem the topic's analysis says will come (a heating
    season's first cold week, a road before the rains) becomes an order of the proactive
    channel before anyone complains, submitted like a patrol find (the operators accept
    it), placed in a community or grid, in the topic's category, and linked to the topic."""
    from workorders.choices import Channel
    from workorders.services import work_order_intake

    _require_manager(actor)
    errors: dict = {}
    description = _require_text(errors, "description", description, 2000)
    if place is None:
        errors["place"] = _("请选择社区或网格。")
    if errors:
        raise InvalidInput(errors)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_open(topic, version)
        order = work_order_intake(
            channel=Channel.PROACTIVE,
            actor=actor,
            public=False,
            description=description,
            address=(address or "").strip(),
            community=place,
            category=locked.category if locked.category_id and locked.category.is_active else None,
            now=now,
        )
        TopicOrder.objects.create(topic=locked, order=order)
        _log(locked, "raised", actor, now, order.number)
    return order


def milestone_add(*, topic: Topic, actor: AbstractBaseUser, title: str, due: date | None, now=None) -> Milestone:
    _require_manager(actor)
    now = now or timezone.now()
    errors: dict = {}
    title = _require_text(errors, "title", title, 200)
    if due is None:
        errors["due"] = _("请填写计划完成日期。")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = _locked_open(topic, None)
        milestone = Milestone.objects.create(topic=locked, title=title, due=due)
        _log(locked, "milestone", actor, now, title)
    return milestone


def milestone_complete(*, milestone: Milestone, actor: AbstractBaseUser, now: datetime | None = None) -> Milestone:
    _require_manager(actor)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_open(milestone.topic, None)
        updated = Milestone.objects.filter(pk=milestone.pk, done_at__isnull=True).update(done_at=now)
        if updated:
            _log(locked, "milestone_done", actor, now, milestone.title)
    milestone.refresh_from_db()
    return milestone


def topic_close(*, topic: Topic, actor: AbstractBaseUser, result: str, version: int, now=None) -> Topic:
    """办结: a written result is required, and every milestone must be done first."""
    _require_manager(actor)
    now = now or timezone.now()
    errors: dict = {}
    result = _require_text(errors, "result", result, 500)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = _locked_open(topic, version)
        if locked.milestones.filter(done_at__isnull=True).exists():
            raise InvalidInput({"result": _("还有未完成的节点。")})
        locked.status, locked.closed_at, locked.version = TopicStatus.CLOSED, now, locked.version + 1
        locked.save(update_fields=["status", "closed_at", "version"])
        _log(locked, "closed", actor, now, result)
    return locked


def topic_volume(*, topic: Topic, now: datetime | None = None) -> dict:
    """Before/after: orders of the topic's category at its place in the four weeks
    before it was opened, and in the four weeks since (or the four weeks after it was
    closed, once it is): the question is whether the calls stopped."""
    now = now or timezone.now()
    qs = WorkOrder.objects.filter(category_id=topic.category_id)
    if topic.place_id:
        from django.db.models import Q

        qs = qs.filter(Q(street_id=topic.place_id) | Q(community_id=topic.place_id) | Q(grid_id=topic.place_id))
    start = topic.created_at
    after_from = topic.closed_at or start
    after_to = min(now, after_from + VOLUME_WINDOW)
    before = qs.filter(created_at__gte=start - VOLUME_WINDOW, created_at__lt=start).count()
    after = qs.filter(created_at__gte=after_from, created_at__lt=after_to).count()
    days = max((after_to - after_from).total_seconds() / 86400, 0)
    return {
        "before": before,
        "after": after,
        "after_days": round(days, 1),
        # per 7 days, so a topic opened three days ago is not "down 90%"
        "before_weekly": round(before / 4, 1),
        "after_weekly": round(after / days * 7, 1) if days >= 1 else None,
    }
