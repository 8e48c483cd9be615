"""Keeping articles (create, edit, publish, retire: each a new kept version), drafting
one from a well-answered order, and answering a call from an article."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Unpack

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.aliases import alias_suggestion_record
from grids.models import OrgUnit
from knowledge.models import Article, ArticleStatus, ArticleVersion
from knowledge.selectors import may_edit_articles, order_offers_draft
from workorders.choices import Channel
from workorders.errors import InvalidInput, NotAllowed
from workorders.models import Category, WorkOrder
from workorders.privacy import redact_order_text
from workorders.services import IntakeFields, work_order_answer_now, work_order_intake

# Which status an article may move to from which (retired can be published again,
# e.g. a seasonal answer such as 供暖时间 next winter).
STATUS_MOVES = {
    ArticleStatus.DRAFT: {ArticleStatus.PUBLISHED, ArticleStatus.RETIRED},
    ArticleStatus.PUBLISHED: {ArticleStatus.RETIRED, ArticleStatus.DRAFT},
    ArticleStatus.RETIRED: {ArticleStatus.PUBLISHED, ArticleStatus.DRAFT},
}


def _require_editor(actor: AbstractBaseUser | None) -> None:
    if actor is not None and not may_edit_articles(actor):
        raise NotAllowed(_("只有管理员和中心人员可以维护知识库。"))


def _check(title: str, body: str, valid_from: date | None, valid_until: date | None) -> None:
    errors = {}
    if not title.strip():
        errors["title"] = _("请填写标题。")
    if not body.strip():
        errors["body"] = _("请填写答复口径。")
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = _("失效日期不能早于生效日期。")
    if errors:
        raise InvalidInput(errors)


def _snapshot(article: Article, actor: AbstractBaseUser | None) -> None:
    ArticleVersion.objects.create(
        article=article,
        version=article.version,
        title=article.title,
        question=article.question,
        body=article.body,
        keywords=article.keywords,
        status=article.status,
        valid_from=article.valid_from,
        valid_until=article.valid_until,
        category_ids=sorted(article.categories.values_list("id", flat=True)),
        owner_unit=article.owner_unit,
        edited_by=actor,
        edited_at=timezone.now(),
    )


@transaction.atomic
def article_create(
    *,
    actor: AbstractBaseUser | None,
    title: str,
    body: str,
    question: str = "",
    keywords: str = "",
    categories: Iterable[Category] = (),
    status: str = ArticleStatus.DRAFT,
    valid_from: date | None = None,
    valid_until: date | None = None,
    owner_unit: OrgUnit | None = None,
    source_order: WorkOrder | None = None,
) -> Article:
    """A new article, version 1. ``actor`` None is the system (demo seed)."""
    _require_editor(actor)
    _check(title, body, valid_from, valid_until)
    article = Article.objects.create(
        title=title.strip(),
        question=question.strip(),
        body=body.strip(),
        keywords=" ".join(keywords.split()),
        status=ArticleStatus(status),
        valid_from=valid_from,
        valid_until=valid_until,
        owner_unit=owner_unit,
        source_order=source_order,
        created_by=actor,
        updated_by=actor,
    )
    article.categories.set(list(categories))
    _snapshot(article, actor)
    return article


@transaction.atomic
def article_update(
    *,
    article: Article,
    actor: AbstractBaseUser | None,
    expected_version: int | None = None,
    **changes,
) -> Article:
    """Edit any of the fields article_create takes (and ``status``, along STATUS_MOVES).
    The version goes up by one and the new text is kept beside every earlier one; a
    stale ``expected_version`` (someone else saved first) is refused, not overwritten."""
    _require_editor(actor)
    allowed = {
        "title",
        "question",
        "body",
        "keywords",
        "categories",
        "status",
        "valid_from",
        "valid_until",
        "owner_unit",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput({name: _("不能修改此字段。") for name in sorted(unknown)})
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if expected_version is not None and locked.version != expected_version:
        raise InvalidInput(
            {"version": _("文章已被他人修改（当前第 %(v)s 版），请刷新后再改。") % {"v": locked.version}}
        )
    if "status" in changes and changes["status"] != locked.status:
        target = ArticleStatus(changes["status"])
        if target not in STATUS_MOVES[locked.status]:
            raise InvalidInput(
                {"status": _("不能从「%(a)s」改为「%(b)s」。") % {"a": locked.get_status_display(), "b": target.label}}
            )
    categories = changes.pop("categories", None)
    for name, value in changes.items():
        if name == "keywords":
            value = " ".join(value.split())
        elif name in ("title", "question", "body"):
            value = value.strip()
        setattr(locked, name, value)
    _check(locked.title, locked.body, locked.valid_from, locked.valid_until)
    locked.version += 1
    locked.updated_by = actor
    locked.save()
    if categories is not None:
        locked.categories.set(list(categories))
    _snapshot(locked, actor)
    return locked


def article_for_answer(*, article_id: int | str | None, today: date | None = None) -> Article:
    """The article an answer may be given from: it exists, is published and valid today.
    Anything else is InvalidInput on ``article`` saying which of these it is not."""
    try:
        article = Article.objects.get(pk=int(article_id))
    except (TypeError, ValueError, Article.DoesNotExist):
        raise InvalidInput({"article": _("没有编号为 %(id)s 的知识库文章。") % {"id": article_id}}) from None
    if article.status != ArticleStatus.PUBLISHED:
        raise InvalidInput(
            {
                "article": _("知识库文章「%(t)s」状态为「%(s)s」，只能按已发布的文章答复。")
                % {"t": article.title, "s": article.get_status_display()}
            }
        )
    if not article.is_valid_on(today or timezone.localdate()):
        raise InvalidInput({"article": _("知识库文章「%(t)s」不在有效期内，不能用于答复。") % {"t": article.title}})
    return article


def article_answer_now(
    *,
    order: WorkOrder | int,
    actor: AbstractBaseUser,
    article: Article | int | str | None = None,
    answer: str | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """即时办结 through the workflow's own answer_now. With an article, the event records
    its id and version, and the reply is the article's body unless the operator edited
    it (``answer``); without one it is the plain answer_now."""
    answer = (answer or "").strip()
    if article is None:
        if not answer:
            raise InvalidInput({"answer": _("即时办结请填写答复内容。")})
        return work_order_answer_now(order=order, actor=actor, answer=answer, expected_version=expected_version)
    art = article_for_answer(article_id=article.pk if isinstance(article, Article) else article)
    payload = {"article": art.pk, "article_version": art.version, "article_edited": bool(answer) and answer != art.body}
    return work_order_answer_now(
        order=order, actor=actor, answer=answer or art.body, expected_version=expected_version, payload=payload
    )


def work_order_take_call(
    *,
    actor: AbstractBaseUser,
    description: str,
    title: str = "",
    answer_now: bool = False,
    article: Article | int | str | None = None,
    answer: str = "",
    community: OrgUnit | None = None,
    transferred_from: str = "",
    transfer_reference: str = "",
    **fields: Unpack[IntakeFields],
) -> WorkOrder:
    """话务台: a hotline call logged (work_order_intake: the title from the description
    when none is typed) and, when answered on the call (``answer_now``, or an ``article``
    answered from), closed at once through article_answer_now and never routed. A place
    the operator picked by hand (``community``) with an address is recorded as an alias
    suggestion, a correction to learn from. A matter an emergency line handed over
    (``transferred_from``, ``transfer_reference``) is recorded by the intake. All in one
    transaction: a call is never left logged but half answered. Lives here, above
    workorders and grids, because answering from an article is the knowledge base's."""
    answer_now = answer_now or article is not None
    with transaction.atomic():
        order = work_order_intake(
            channel=Channel.HOTLINE,
            actor=actor,
            title=title,
            description=description,
            community=community,
            auto_dispatch=not answer_now,
            transferred_from=transferred_from,
            transfer_reference=transfer_reference,
            **fields,
        )
        address = fields.get("address") or ""
        if community is not None and address.strip():
            alias_suggestion_record(address=address, community=community, actor=actor)
        if answer_now:
            order = article_answer_now(order=order, actor=actor, article=article, answer=answer)
    return order


@transaction.atomic
def article_suggest_from_order(*, order: WorkOrder, actor: AbstractBaseUser) -> Article:
    """建议入库: a draft made from an order that was answered well (see
    selectors.order_offers_draft). Description and reply are redacted the way public
    output is, so no caller's name, number, plate or room enters the knowledge base; a
    person edits and publishes it. One draft per order: asking again returns it."""
    if not order_offers_draft(order=order, user=actor):
        raise NotAllowed(
            _("工单 %(n)s 不能建议入库：需已审核通过或回访满意，且由派单员或中心人员操作。") % {"n": order.number}
        )
    existing = Article.objects.filter(source_order=order).order_by("pk").first()
    if existing is not None:
        return existing
    question = redact_order_text(order, order.description)
    title = redact_order_text(order, order.title) or question[:30]
    article = Article.objects.create(
        title=title[:200],
        question=question,
        body=redact_order_text(order, order.reply),
        keywords=order.category.name if order.category_id else "",
        status=ArticleStatus.DRAFT,
        source_order=order,
        owner_unit=order.lead_unit,
        created_by=actor,
        updated_by=actor,
    )
    if order.category_id:
        article.categories.set([order.category])
    _snapshot(article, actor)
    return article
