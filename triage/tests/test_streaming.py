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


def test_wrong_labels_in_the_history_do_not_make_every_answer_unsure():
    # About one label in seven is wrong, as in a history nobody fully corrected: the
    # calibration on the held-out part takes them as label noise (it estimates their
    # share) and does not hold them against the model, which is right on every text.
    # Run 4's fit (mean confidence = accuracy against the noisy labels) put the
    # confidence near 0.85 here.
    rng = np.random.default_rng(0)
    names = [f"类别{k}" for k in range(20)]
    samples, truth = [], []
    for i in range(600):
        k = i % 20
        wrong = rng.random() < 0.15
        label = names[(k + 1 + int(rng.integers(19))) % 20] if wrong else names[k]
        samples.append(ml.Sample(f"第{k}种问题 编号{i}", "ch:hotline", label))
        truth.append(names[k])
    clf = ml.fit(samples[:400])
    held, held_truth = samples[400:], truth[400:]
    x = ml.features([s.text for s in held], [s.meta for s in held])
    y = [s.label for s in held]
    clf.temperature, noise = ml.calibrate(clf, x, y)
    assert clf.temperature == ml.temperature(clf, x, y)
    p = clf.proba([s.text for s in held], [s.meta for s in held])
    right = np.mean([clf.classes[int(np.argmax(row))] == t for row, t in zip(p, held_truth, strict=True)])
    wrong_share = np.mean([s.label != t for s, t in zip(held, held_truth, strict=True)])
    assert right == 1.0  # the wrong labels are not learnt
    assert abs(noise - wrong_share) < 0.05, (noise, wrong_share)  # ... they are recognised
    assert p.max(axis=1).mean() > 0.95  # ... and not believed against the model


def test_confidence_on_unseen_phrasings_follows_the_accuracy():
    # The demo's situation: a generated history (5 % wrong labels) calibrated on its own
    # newest fifth, then asked about wordings it never saw (the generator's held-out
    # phrasings, labels right). The mean confidence must say how often it is right
    # (measured gaps 0.03, 0.03 and 0.08 on three seeds); run 4's mean-matching left it
    # 0.15-0.21 too low, which starved auto-dispatch of the orders it gets right.
    import random

    from workorders.demo import corpus
    from workorders.demo.data import CATEGORIES

    names = [m[0] for _code, _major, minors in CATEGORIES for m in minors]

    def texts(n, seed, part, noise=0.0):
        r = random.Random(seed)
        out = []
        for i in range(n):
            name = names[i % len(names)]
            label = r.choice(names) if r.random() < noise else name
            out.append(ml.Sample(corpus.description(name, r, others=names, part=part), "ch:hotline", label))
        return out

    history = texts(40 * len(names), 1, "train", noise=0.05)
    cut = int(len(history) * 0.8)
    clf = ml.fit(history[:cut])
    newest = history[cut:]
    x = ml.features([s.text for s in newest], [s.meta for s in newest])
    clf.temperature, noise = ml.calibrate(clf, x, [s.label for s in newest])
    unseen = texts(10 * len(names), 101, "holdout")
    p = clf.proba([s.text for s in unseen], [s.meta for s in unseen])
    right = np.mean([clf.classes[int(np.argmax(row))] == s.label for row, s in zip(p, unseen, strict=True)])
    assert abs(p.max(axis=1).mean() - right) < 0.1, (p.max(axis=1).mean(), right)
    assert 0.02 < noise < 0.08


def test_the_trainers_counts_give_scikit_learns_complement_nb_weights():
    from sklearn.naive_bayes import ComplementNB

    texts = ["楼下饭店油烟大", "路边露天烧烤", "工地扬尘黄土", "饭店排风油烟", "烧烤摊炭火", "工地不洒水"] * 3
    labels = ["oil", "bbq", "dust", "oil", "bbq", "dust"] * 3
    weights = [1.0, 3.0, 1.0, 1.0, 1.0, 2.0] * 3
    x = ml.features(texts, ["ch:hotline"] * len(texts))
    trainer = ml.Trainer({"oil": 6, "bbq": 6, "dust": 6})
    for lo in range(0, len(texts), 4):  # in chunks, as the history streams
        trainer.update(x[lo : lo + 4], labels[lo : lo + 4], weights[lo : lo + 4])
    nb = ComplementNB(alpha=ml.ALPHA).fit(x, labels, sample_weight=weights)
    assert list(nb.classes_) == trainer.classifier().classes
    np.testing.assert_allclose(trainer.classifier().weights, nb.feature_log_prob_.T.astype(np.float32), rtol=1e-5)
    with pytest.raises(ValueError):
        trainer.update(x[:1], ["oil"], [-1.0])
