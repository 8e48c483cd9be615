"""The classifier and its versions: cold start, training, switching only when not worse,
learning from corrections, and the closed set."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from triage import keywords
from triage.models import ModelKind, ModelVersion
from triage.services import forget_models, triage_suggest
from triage.training import history_stream, model_train, models_train
from workorders import services as svc


def test_keyword_rules_weigh_specific_words_over_generic_ones():
    terms = keywords.build_terms(
        [
            ("a", "露天烧烤", "烧烤 烟 夜市"),
            ("b", "餐饮油烟", "油烟 饭店 排烟"),
            ("c", "公共场所控烟", "吸烟 控烟"),
            ("d", "校园周边安全", "学校 门口 安全 上学"),
            ("e", "违章停车", "违停 乱停 堵门"),
        ]
    )
    # 烟 is part of 油烟/排烟/吸烟/控烟, so it weighs little; 油烟 and 饭店 decide.
    assert keywords.ranked("楼下饭店的油烟太大，烟味呛人", terms, 3)[0][0] == "b"
    # 门口 alone (a car blocking a door) is not a school matter when 堵门 is said.
    assert keywords.ranked("有车堵门停在门口", terms, 3)[0][0] == "e"
    assert keywords.ranked("天气很好", terms, 3) == []


@pytest.mark.django_db
def test_cold_start_suggests_from_keywords_until_there_is_enough_history(district, handled):
    handled(["路口有人摆摊"] * 5, district.cat_territorial, district.street_a, district.user("handler_a"))
    results = models_train()
    assert [r.version for r in results] == [None, None]
    assert "cold start" in results[0].reason
    s = triage_suggest(text="门口有小贩摆摊占道")
    assert s.method == "keywords"
    assert s.categories[0].code == district.cat_territorial.code
    # With no unit model the units come from the category's own routing.
    assert triage_suggest(text="小贩摆摊", street_id=district.street_a.pk).units[0].id == district.street_a.pk


@pytest.mark.django_db
def test_training_activates_a_version_that_suggests_by_the_model(history):
    d = history
    results = {r.kind: r for r in models_train()}
    category, unit = results[ModelKind.CATEGORY].version, results[ModelKind.UNIT].version
    assert category.is_active and unit.is_active
    assert category.trained_on == 60 and category.holdout_size == 12 and category.top1 >= 0.9
    assert len(category.sha256) == 64 and category.previous_top1 is None
    s = triage_suggest(text="小区门口有个卖水果的摊子占了人行道")
    assert s.method == "model" and s.versions == {"category": category.pk, "unit": unit.pk}
    assert s.categories[0].code == d.cat_territorial.code
    assert s.units[0].id == d.street_a.pk
    assert 0 < sum(r.confidence for r in s.categories) <= 1.0001
    assert triage_suggest(text="楼顶私自加盖了房子").units[0].id == d.dept.pk


@pytest.mark.django_db
def test_a_new_version_replaces_the_active_one_only_when_not_worse(history):
    rows = [row for part in history_stream() for row in part]
    first = model_train(kind=ModelKind.CATEGORY, rows=rows)
    assert first.activated
    # The same history with the training part's labels scrambled: worse on the same
    # (correctly labelled) held-out part, so it is kept but not activated.
    cut = int(len(rows) * 0.8)
    rng = random.Random(3)
    codes = sorted({r.category for r in rows})
    scrambled = [replace(r, category=rng.choice(codes)) for r in rows[:cut]] + rows[cut:]
    worse = model_train(kind=ModelKind.CATEGORY, rows=scrambled)
    assert not worse.activated and worse.version.top1 < first.version.top1
    assert worse.version.previous_top1 == pytest.approx(first.version.top1)
    assert ModelVersion.objects.get(kind=ModelKind.CATEGORY, is_active=True) == first.version
    again = model_train(kind=ModelKind.CATEGORY, rows=rows)
    assert again.activated
    assert ModelVersion.objects.get(kind=ModelKind.CATEGORY, is_active=True) == again.version


@pytest.mark.django_db
def test_retraining_on_dispatchers_corrections_changes_the_prediction(history, handled):
    d = history
    fruit = [f"门口有人卖水果{t}" for t in ("", "，每天都在", "，堵住了路", "，很吵", "，请处理")] * 4
    orders = handled(fruit, d.cat_territorial, d.street_a, d.user("handler_a"))
    models_train()
    assert triage_suggest(text="门口有人卖水果").categories[0].code == d.cat_territorial.code
    for order in orders:  # the dispatchers keep saying: this is the department's category
        svc.work_order_reclassify(order=order, actor=d.user("dispatcher"), category=d.cat_department)
    results = {r.kind: r for r in models_train()}
    assert results[ModelKind.CATEGORY].activated
    forget_models()
    assert triage_suggest(text="门口有人卖水果").categories[0].code == d.cat_department.code


@pytest.mark.django_db
def test_a_deactivated_category_or_unit_is_never_suggested(history):
    d = history
    models_train()
    d.cat_territorial.is_active = False
    d.cat_territorial.save()
    d.street_a.is_active = False
    d.street_a.save()
    forget_models()
    s = triage_suggest(text="路口有人摆摊卖水果", limit=5)
    assert [r.code for r in s.categories] == [d.cat_department.code]
    assert s.categories[0].confidence == pytest.approx(1.0)  # renormalised over what is left
    assert d.street_a.pk not in [r.id for r in s.units]


@pytest.mark.django_db
def test_the_train_command_and_task_report_each_kind(history, capsys):
    from django.core.management import call_command

    from triage.tasks import train_models

    call_command("train_dispatch_model")
    out = capsys.readouterr().out
    assert "category: version" in out and "unit: version" in out and "activated" in out
    results = train_models.delay().get()
    assert {r["kind"] for r in results} == {"category", "unit"}
