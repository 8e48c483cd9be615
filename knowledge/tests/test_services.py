import pytest

from knowledge.models import Article, ArticleStatus, ArticleVersion
from knowledge.services import article_answer_now, article_suggest_from_order, article_update
from workorders import services as svc
from workorders.choices import Status
from workorders.errors import InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db


def test_answering_from_an_article_closes_the_call_and_records_article_and_version(district, log_call, kb):
    article = kb["heating"]
    article = article_update(article=article, actor=district.user("admin"), body="正式供暖自11月15日起。")
    order = article_answer_now(order=log_call(), actor=district.user("operator"), article=article.pk)
    assert order.status == Status.CLOSED
    assert order.reply == "正式供暖自11月15日起。"
    event = order.events.get(kind="answer_now")
    assert event.payload["article"] == article.pk
    assert event.payload["article_version"] == 2
    assert event.payload["article_edited"] is False
    # The version named in the event is kept, so the answer given can be read back.
    assert ArticleVersion.objects.get(article=article, version=2).body == order.reply


def test_an_operators_edit_of_the_answer_is_the_reply_and_is_marked_edited(district, log_call, kb):
    order = article_answer_now(
        order=log_call(),
        actor=district.user("operator"),
        article=kb["heating"],
        answer="11月15日起供暖，您小区已试水。",
    )
    assert order.reply == "11月15日起供暖，您小区已试水。"
    assert order.events.get(kind="answer_now").payload["article_edited"] is True


@pytest.mark.parametrize(
    "key, words",
    [("draft", "草稿"), ("retired", "已停用"), ("expired", "不在有效期内"), ("future", "不在有效期内")],
)
def test_only_a_published_currently_valid_article_may_answer(district, log_call, kb, key, words):
    order = log_call()
    with pytest.raises(InvalidInput) as exc:
        article_answer_now(order=order, actor=district.user("operator"), article=kb[key].pk)
    assert words in exc.value.errors["article"][0]
    order.refresh_from_db()
    assert order.status == Status.ACCEPTED and not order.events.filter(kind="answer_now").exists()


def test_an_unknown_article_is_named_in_the_error(district, log_call, kb):
    with pytest.raises(InvalidInput) as exc:
        article_answer_now(order=log_call(), actor=district.user("operator"), article=999999)
    assert "999999" in exc.value.errors["article"][0]


def test_every_edit_keeps_the_previous_version_with_who_and_when(district, kb):
    article = kb["card"]
    admin = district.user("admin")
    article = article_update(article=article, actor=admin, expected_version=1, body="新口径：可线上申请邮寄。")
    article = article_update(article=article, actor=admin, expected_version=2, status=ArticleStatus.RETIRED)
    versions = list(ArticleVersion.objects.filter(article=article).order_by("version"))
    assert [v.version for v in versions] == [1, 2, 3]
    assert versions[0].body.startswith("先拨打12333") and versions[1].body == "新口径：可线上申请邮寄。"
    assert versions[2].status == ArticleStatus.RETIRED
    assert all(v.edited_by == admin and v.edited_at for v in versions)


def test_a_stale_edit_is_refused_not_overwritten(district, kb):
    admin = district.user("admin")
    article_update(article=kb["card"], actor=admin, expected_version=1, body="甲的修改")
    with pytest.raises(InvalidInput) as exc:
        article_update(article=kb["card"], actor=admin, expected_version=1, body="乙的修改")
    assert "version" in exc.value.errors
    assert Article.objects.get(pk=kb["card"].pk).body == "甲的修改"


def test_operators_and_handlers_cannot_edit_articles(district, kb):
    for user in ("operator", "handler_a"):
        with pytest.raises(NotAllowed):
            article_update(article=kb["card"], actor=district.user(user), body="x")


def test_an_expiry_before_the_start_is_refused(district, kb):
    from datetime import date

    with pytest.raises(InvalidInput) as exc:
        article_update(
            article=kb["card"], actor=district.user("admin"), valid_from=date(2026, 5, 1), valid_until=date(2026, 4, 1)
        )
    assert "valid_until" in exc.value.errors


def _well_answered(district, log_call, reply):
    order = log_call(
        caller_name="王建国",
        caller_phone="13912345678",
        description="我是王建国，电话13912345678，住幸福里3号楼2单元501，车牌京A12345，社保卡丢了怎么补办？",
    )
    disp, h = district.user("dispatcher"), district.user("handler_a")
    order = svc.work_order_assign(order=order, actor=disp, unit=district.street_a)
    order = svc.work_order_sign(order=order, actor=h)
    order = svc.work_order_reply(order=order, actor=h, reply=reply)
    return svc.work_order_approve(order=order, actor=disp)


def test_a_draft_from_a_good_reply_keeps_no_personal_data(district, log_call):
    order = _well_answered(district, log_call, "已电话告知王建国（13912345678）：携带身份证到合作银行网点补办。")
    article = article_suggest_from_order(order=order, actor=district.user("dispatcher"))
    assert article.status == ArticleStatus.DRAFT and article.source_order == order
    text = article.title + article.question + article.body
    for secret in ("王建国", "13912345678", "501", "京A12345"):
        assert secret not in text
    assert "社保卡丢了怎么补办" in article.question
    assert "携带身份证到合作银行网点补办" in article.body
    assert article.versions.count() == 1
    # Asking again returns the same draft.
    assert article_suggest_from_order(order=order, actor=district.user("dispatcher")).pk == article.pk


def test_no_draft_from_an_unreviewed_reply_or_by_an_operator(district, log_call):
    order = log_call()
    h = district.user("handler_a")
    order = svc.work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    order = svc.work_order_reply(order=svc.work_order_sign(order=order, actor=h), actor=h, reply="已处理")
    with pytest.raises(NotAllowed):
        article_suggest_from_order(order=order, actor=district.user("dispatcher"))  # not yet approved
    approved = svc.work_order_approve(order=order, actor=district.user("dispatcher"))
    with pytest.raises(NotAllowed):
        article_suggest_from_order(order=approved, actor=district.user("operator"))


def test_a_satisfied_callback_offers_the_reply_as_a_draft(district, log_call):
    from knowledge.selectors import order_was_answered_well

    order = _well_answered(district, log_call, "已告知补办流程。")
    order = svc.work_order_callback(
        order=order, actor=district.user("operator"), contacted=True, resolution="solved", satisfaction="satisfied"
    )
    assert order.status == Status.CLOSED and order_was_answered_well(order)
