import threading
from datetime import date

import pytest

from knowledge.search import Index, article_search

pytestmark = pytest.mark.django_db


def titles(text, **kw):
    from knowledge.models import Article

    return [Article.objects.get(pk=h.article_id).title for h in article_search(text=text, **kw)]


@pytest.mark.parametrize(
    "question, expected",
    [
        ("请问今年暖气什么时候开始供？", "本采暖季供暖时间"),
        ("家里的废电池应该扔到哪个垃圾桶，垃圾怎么分类", "生活垃圾分类投放指引"),
        ("我的社保卡丢了，想问怎么补办", "社保卡丢失补办"),
        ("外地人在这边办居住证要带什么材料", "居住证办理条件和材料"),
    ],
)
def test_a_callers_question_finds_its_article_first(kb, question, expected):
    assert titles(question)[0] == expected


def test_drafts_retired_expired_and_not_yet_valid_articles_never_show(kb):
    for question in ("加装电梯有补贴吗", "停水通知 管网改造 什么时候来水", "医保报销起付线是多少", "疫苗接种怎么预约"):
        found = titles(question, limit=10)
        assert not set(found) & {
            "老旧小区加装电梯政策",
            "夏季管网改造停水安排",
            "明年医保起付线调整",
            "旧版疫苗预约说明",
        }


def test_an_article_shows_from_its_first_valid_day_and_stops_after_its_last(kb):
    future = kb["future"]
    assert "明年医保起付线调整" in titles("医保报销起付线", today=future.valid_from)
    expired = kb["expired"]
    assert "夏季管网改造停水安排" in titles("停水通知 管网改造", today=expired.valid_until)
    assert "夏季管网改造停水安排" not in titles("停水通知 管网改造", today=date(2100, 1, 1))


def test_text_unrelated_to_any_article_finds_nothing(kb):
    assert titles("楼下饭店油烟直排") == []
    assert titles("") == [] and titles("。") == []


def test_an_edit_is_searchable_at_once_and_a_retired_article_drops_out(kb, district):
    from knowledge.models import ArticleStatus
    from knowledge.services import article_update

    article_update(article=kb["card"], actor=district.user("admin"), keywords="社保卡 补办 丢失 医保卡 换卡")
    assert titles("医保卡坏了怎么换卡")[0] == "社保卡丢失补办"
    article_update(article=kb["card"], actor=district.user("admin"), status=ArticleStatus.RETIRED)
    assert "社保卡丢失补办" not in titles("社保卡丢了怎么补办", limit=10)


def test_title_and_keywords_weigh_more_than_the_body():
    rows = [
        {"id": 1, "title": "居住证办理", "keywords": "居住证", "question": "", "body": "请携带身份证。", **_open()},
        {"id": 2, "title": "身份证换领", "keywords": "身份证", "question": "", "body": "居住证另行办理。", **_open()},
    ]
    hits = Index(rows).search("居住证")
    assert [h.article_id for h in hits][:1] == [1]


def _open():
    return {"valid_from": None, "valid_until": None}


@pytest.mark.django_db(transaction=True)
def test_a_change_made_by_another_process_is_picked_up_without_making_a_search_wait(kb):
    """Another process's edit (no signal here): searches go on with the index they have
    while a thread rebuilds it, then see the change."""
    from django.utils import timezone

    from knowledge import search
    from knowledge.models import Article

    assert titles("社保卡丢了")[0] == "社保卡丢失补办"
    Article.objects.filter(pk=kb["card"].pk).update(title="社会保障卡补办指南", updated_at=timezone.now())
    search.INDEX.forget()  # as if stale_after had passed
    hits = article_search(text="社保卡丢了")  # answered from the index it had
    assert hits[0].title == "社保卡丢失补办"
    for thread in threading.enumerate():
        if thread.name == "kb-index":
            thread.join(timeout=30)
    assert article_search(text="社保卡丢了")[0].title == "社会保障卡补办指南"


def test_the_hand_computed_query_vector_equals_sklearns():
    from knowledge.search import _norm

    rows = [
        {
            "id": 1,
            "title": "本采暖季供暖时间",
            "keywords": "暖气 供暖",
            "question": "",
            "body": "11月15日起。",
            **_open(),
        },
        {"id": 2, "title": "社保卡丢失补办", "keywords": "社保卡 补办", "question": "", "body": "先挂失。", **_open()},
    ]
    index = Index(rows)
    for text in ("暖气  什么时候来", "社保卡丢了 社保卡 补办", "ABC 暖气", "完全无关"):
        ours = index.query_vector(_norm(text)).toarray()
        theirs = index.vectorizer.transform([_norm(text)]).toarray()
        assert abs(ours - theirs).max() < 1e-12, text
