"""Training streams the whole history in chunks (a million orders within bounded
memory), balances the classes, and suggestions keep both kinds' models loaded."""

from __future__ import annotations

import numpy as np
import pytest
from django.test.utils import override_settings

from triage import keywords, scoring, services, training
from triage import model as ml
from triage.models import ModelKind, ModelVersion
from triage.services import forget_models, triage_suggest
from triage.training import history_stream, models_train


@pytest.mark.django_db
def test_the_whole_history_is_streamed_in_chunks_and_gives_the_one_chunk_model(history, monkeypatch):
    rows = [r for part in history_stream(chunk=7) for r in part]
    assert len(rows) == 60  # every labelled order, not only the newest
    assert [r.created_at for r in rows] == sorted(r.created_at for r in rows)
    one = {r.kind: r.version for r in models_train()}
    ModelVersion.objects.all().delete()
    forget_models()
    monkeypatch.setattr(training, "CHUNK", 7)
    monkeypatch.setattr(training.history_stream, "__defaults__", (7,))
    many = {r.kind: r.version for r in models_train()}
    for kind in (ModelKind.CATEGORY, ModelKind.UNIT):
        a = ml.TextClassifier.loads(one[kind].blob)
        b = ml.TextClassifier.loads(many[kind].blob)
        # Naive Bayes counts add up: chunking changes nothing, not even the calibration.
        assert a.classes == b.classes
        np.testing.assert_allclose(a.weights, b.weights, rtol=1e-5, atol=1e-6)
        assert a.temperature == pytest.approx(b.temperature, rel=1e-4)
        assert one[kind].top1 == many[kind].top1 and one[kind].trained_on == many[kind].trained_on == 60


@pytest.mark.django_db
def test_the_optional_cap_reads_only_the_newest_orders(history):
    with override_settings(HOTLINE_TRAIN_MAX_ORDERS=40):
        rows = [r for part in history_stream() for r in part]
        results = {r.kind: r for r in models_train()}
    assert len(rows) == 40
    assert results[ModelKind.CATEGORY].version.trained_on == 40


def test_class_balance_keeps_a_rare_category_against_a_frequent_one():
    common = [ml.Sample(f"楼下饭店的油烟很大{i}", "ch:hotline", "oil") for i in range(200)]
    rare = [ml.Sample(f"路边露天烧烤冒烟{i}", "ch:hotline", "bbq") for i in range(4)]
    clf = ml.fit(common + rare)
    p = clf.proba(["路边有人露天烧烤"], ["ch:hotline"])[0]
    assert clf.classes[int(np.argmax(p))] == "bbq"
    trainer = ml.Trainer({"oil": 200, "bbq": 4})
    assert trainer.balance["bbq"] == pytest.approx(50 * trainer.balance["oil"])


@pytest.mark.django_db
def test_suggesting_keeps_both_kinds_loaded_instead_of_reloading_them(history, monkeypatch):
    models_train()
    loads = []
    original = scoring.loads

    def counting(blob):
        loads.append(1)
        return original(blob)

    monkeypatch.setattr(scoring, "loads", counting)
    forget_models()
    for _ in range(5):
        s = triage_suggest(text="路口有人摆摊卖水果", street_id=history.street_a.pk)
        assert s.method == "model" and s.units
    assert len(loads) == 2  # once per kind, not twice per suggestion
    assert set(services._loaded) == set(services._active.get().values())


def test_keyword_rules_read_slips_and_fall_back_to_shared_pieces():
    terms = keywords.build_terms(
        [
            ("noise", "施工噪音", "施工 噪音 打桩"),
            ("lamp", "路灯不亮", "路灯 不亮 黑漆漆"),
            ("leak", "房屋漏水", "漏水 渗水"),
        ]
    )
    assert keywords.ranked("工地燥音太大", terms, 3)[0][0] == "noise"  # 燥音 is 噪音
    assert keywords.ranked("门口的路等坏了", terms, 3)[0][0] == "lamp"  # 路等 is 路灯
    # No whole keyword, but a piece of one (黑漆 of 黑漆漆): a weak suggestion, not none.
    assert keywords.ranked("晚上那段路黑漆的", terms, 3)[0][0] == "lamp"
    assert keywords.ranked("天气很好", terms, 3) == []


def test_the_temperature_makes_the_mean_confidence_the_accuracy_despite_wrong_labels():
    rng = np.random.default_rng(0)
    words = {"oil": "饭店油烟排风", "bbq": "露天烧烤炭火", "dust": "工地扬尘黄土"}
    samples = []
    for i in range(300):
        label = list(words)[i % 3]
        # One label in ten is wrong, as in any real history.
        wrong = rng.random() < 0.1
        samples.append(ml.Sample(words[label] + str(i), "ch:hotline", list(words)[(i + 1) % 3] if wrong else label))
    clf = ml.fit(samples)
    x = ml.features([s.text for s in samples], [s.meta for s in samples])
    y = [s.label for s in samples]
    clf.temperature = ml.temperature(clf, x, y)
    p = clf.proba([s.text for s in samples], [s.meta for s in samples])
    accuracy = np.mean([clf.classes[int(np.argmax(row))] == label for row, label in zip(p, y, strict=True)])
    assert p.max(axis=1).mean() == pytest.approx(accuracy, abs=0.01)
    assert 0.85 < accuracy < 0.95  # the wrong labels are not learnt away, nor believed
