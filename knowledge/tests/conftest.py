from datetime import date, timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def make_article(district):
    from knowledge.models import ArticleStatus
    from knowledge.services import article_create

    def _make(title="本采暖季供暖时间", **fields):
        data = dict(
            actor=district.user("admin"),
            title=title,
            body="正式供暖时间为11月15日至次年3月15日。",
            keywords="供暖时间 暖气 什么时候来暖气 开始供暖 停暖",
            status=ArticleStatus.PUBLISHED,
        )
        data.update(fields)
        return article_create(**data)

    return _make


@pytest.fixture
def kb(make_article):
    """A small knowledge base: four published answers, a draft, an expired one, a
    not-yet-valid one and a retired one, each of which would match its own question."""
    from knowledge.models import ArticleStatus

    today = timezone.localdate()
    return {
        "heating": make_article(),
        "garbage": make_article(
            "生活垃圾分类投放指引",
            body="厨余垃圾投绿桶，废电池属有害垃圾投红桶。",
            keywords="垃圾分类 厨余垃圾 有害垃圾 电池 怎么分",
        ),
        "card": make_article(
            "社保卡丢失补办",
            body="先拨打12333挂失，再携带身份证到合作银行网点补办。",
            keywords="社保卡 补办 丢了 挂失 补卡",
        ),
        "permit": make_article(
            "居住证办理条件和材料",
            body="居住满半年，携带身份证、租房合同到派出所办理。",
            keywords="居住证 办理 外地人 材料",
        ),
        "draft": make_article(
            "老旧小区加装电梯政策", body="需三分之二业主同意。", keywords="加装电梯 补贴", status=ArticleStatus.DRAFT
        ),
        "expired": make_article(
            "夏季管网改造停水安排",
            body="7—8月分批停水，工程已结束。",
            keywords="停水 停水通知 管网改造",
            valid_from=date(2020, 6, 1),
            valid_until=today - timedelta(days=1),
        ),
        "future": make_article(
            "明年医保起付线调整",
            body="明年起门诊起付线调整。",
            keywords="医保报销 起付线",
            valid_from=today + timedelta(days=10),
        ),
        "retired": make_article(
            "旧版疫苗预约说明", body="已停用的说明。", keywords="疫苗 接种 预约", status=ArticleStatus.RETIRED
        ),
    }


@pytest.fixture
def login(client, district):
    def _login(username):
        client.force_login(district.user(username))
        return client

    return _login


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
