import pytest
from django.urls import reverse

from knowledge.models import Article, ArticleStatus
from workorders import services as svc
from workorders.choices import Status
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def intake(**overrides):
    data = {
        "caller_phone": "13900001111",
        "caller_name": "李四",
        "description": "请问我的社保卡丢了，怎么补办？",
        "title": "",
        "category": "",
        "address": "",
        "urgency": "normal",
        "request_type": "consult",
    }
    data.update(overrides)
    return data


def test_the_console_shows_the_panel_and_it_lists_the_matching_articles(login, kb):
    client = login("operator")
    page = client.get(reverse("web:ops")).content.decode()
    assert 'id="kb-suggest"' in page and reverse("knowledge:suggest") in page
    panel = client.get(reverse("knowledge:suggest"), {"description": "社保卡丢了怎么补办"}).content.decode()
    assert "社保卡丢失补办" in panel and "按此答复并办结" in panel
    assert f'name="kb_article" value="{kb["card"].pk}"' in panel
    assert panel.count("<details") <= 3


@pytest.mark.parametrize(
    "user, status",
    [
        ("operator", 200),
        ("dispatcher", 200),
        ("admin", 200),
        ("handler_a", 404),
        ("supervisor_a", 404),
        ("grid_worker_a", 404),
    ],
)
def test_only_operators_dispatchers_and_the_center_see_the_knowledge_base(login, kb, user, status):
    client = login(user)
    assert client.get(reverse("knowledge:suggest"), {"description": "社保卡丢了"}).status_code == status
    assert client.get(reverse("knowledge:list")).status_code == status


def test_answering_from_the_panel_closes_the_call_with_the_article(login, kb):
    client = login("operator")
    response = client.post(reverse("web:ops"), intake(kb_article=str(kb["card"].pk)))
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.status == Status.CLOSED and order.reply == kb["card"].body
    assert order.current_unit is None  # never routed
    event = order.events.get(kind="answer_now")
    assert event.payload["article"] == kb["card"].pk and event.payload["article_version"] == 1


def test_an_edited_answer_from_the_panel_is_the_reply(login, kb):
    client = login("operator")
    data = intake(answer_now="on", answer="补卡可线上申请邮寄。", kb_article=["", str(kb["card"].pk)])
    assert client.post(reverse("web:ops"), data).status_code == 302
    order = WorkOrder.objects.get()
    assert order.reply == "补卡可线上申请邮寄。"
    assert order.events.get(kind="answer_now").payload["article_edited"] is True


def test_a_draft_article_is_refused_on_the_console_and_nothing_is_logged(login, kb):
    client = login("operator")
    response = client.post(reverse("web:ops"), intake(kb_article=str(kb["draft"].pk)))
    assert response.status_code == 400
    assert "只能按已发布的文章答复" in response.content.decode()
    assert "社保卡丢了" in response.content.decode()  # what was typed is kept
    assert not WorkOrder.objects.exists()


def test_readers_see_published_articles_editors_see_drafts_too(login, kb):
    page = login("operator").get(reverse("knowledge:list")).content.decode()
    assert "社保卡丢失补办" in page and "老旧小区加装电梯政策" not in page
    assert login("operator").get(reverse("knowledge:detail", args=[kb["draft"].pk])).status_code == 404
    page = login("admin").get(reverse("knowledge:list")).content.decode()
    assert "老旧小区加装电梯政策" in page and "新建文章" in page


def test_searching_the_list_ranks_by_the_question(login, kb):
    page = login("dispatcher").get(reverse("knowledge:list"), {"q": "外地人办居住证要什么材料"}).content.decode()
    assert page.index("居住证办理条件和材料") < page.find("社保卡丢失补办") or "社保卡丢失补办" not in page


def test_an_admin_edit_on_the_page_keeps_the_previous_version(login, kb):
    article = kb["permit"]
    client = login("admin")
    form = {
        "title": article.title,
        "question": "",
        "body": "居住满半年可申领，需身份证、租房合同和就业证明。",
        "keywords": article.keywords,
        "status": "published",
        "expected_version": 1,
    }
    response = client.post(reverse("knowledge:edit", args=[article.pk]), form)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.version == 2 and list(article.versions.values_list("version", flat=True)) == [2, 1]
    detail = client.get(reverse("knowledge:detail", args=[article.pk])).content.decode()
    assert "第 1 版" in detail and "第 2 版" in detail
    # A second save from the same (stale) page is refused with the reason.
    response = client.post(reverse("knowledge:edit", args=[article.pk]), {**form, "body": "另一版"})
    assert response.status_code == 400 and "已被他人修改" in response.content.decode()
    assert login("operator").get(reverse("knowledge:edit", args=[article.pk])).status_code == 404


def _approved(district, log_call):
    order = log_call(description="我是张三，电话13812345678，社保卡丢了怎么补办？")
    disp, h = district.user("dispatcher"), district.user("handler_a")
    order = svc.work_order_assign(order=order, actor=disp, unit=district.street_a)
    order = svc.work_order_reply(
        order=svc.work_order_sign(order=order, actor=h), actor=h, reply="已告知张三到银行网点补办。"
    )
    return svc.work_order_approve(order=order, actor=disp)


def test_suggest_to_kb_on_the_order_page_makes_a_redacted_draft(login, district, log_call):
    order = _approved(district, log_call)
    client = login("dispatcher")
    page = client.get(reverse("web:order", args=[order.number])).content.decode()
    assert "建议入库" in page
    response = client.post(reverse("knowledge:from_order", args=[order.number]))
    assert response.status_code == 302
    article = Article.objects.get(source_order=order)
    assert article.status == ArticleStatus.DRAFT
    assert "张三" not in article.question + article.body and "13812345678" not in article.question
    page = client.get(reverse("web:order", args=[order.number])).content.decode()
    assert "已据此工单生成知识库文章" in page


def test_handlers_and_operators_are_not_offered_suggest_to_kb(login, district, log_call):
    order = _approved(district, log_call)
    assert "建议入库" not in login("handler_a").get(reverse("web:order", args=[order.number])).content.decode()
    assert "建议入库" not in login("operator").get(reverse("web:order", args=[order.number])).content.decode()
    assert login("operator").post(reverse("knowledge:from_order", args=[order.number])).status_code == 302
    assert not Article.objects.exists()


def test_the_panel_and_the_list_speak_english_when_asked(login, kb):
    from django.utils import translation

    client = login("operator")
    try:
        panel = client.get(
            reverse("knowledge:suggest"), {"description": "社保卡丢了"}, HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
        assert "Answer with this and close" in panel and "Edit, then answer" in panel
        page = client.get(reverse("knowledge:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Knowledge base" in page and "Published" in page
    finally:
        translation.activate("zh-hans")
