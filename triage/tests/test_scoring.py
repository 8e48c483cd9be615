"""The plain-Python scoring path (triage.scoring, triage.wordseg) gives what the
scikit-learn path (triage.model) gives: the same words, the same feature columns and
values, the same ranking and the same confidences, from a model saved compact or
pickled the old way; and it loads none of NumPy, SciPy, scikit-learn or jieba."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import jieba
import joblib
import numpy as np
import pytest
from sklearn.utils import murmurhash3_32

from triage import model as ml
from triage import scoring, wordseg
from workorders.demo import corpus
from workorders.demo.data import CATEGORIES

ROOT = Path(__file__).resolve().parents[2]
NAMES = [m[0] for _code, _major, minors in CATEGORIES for m in minors]
ODD = [
    "",
    "   ",
    "井盖",
    "AB-12号楼 3.5%的人\r\n早上 Ｗｉｆｉ坏了！！",
    "小区门口的井盖坏了好几天了没人管，电话13812345678，谢谢",
    "噪音😡太吵了  凌晨2:30还在施工 c# C++ a.b_c",
    "ÉCOLE école ǅ İstanbul",
    "路灯\t不亮\n\n\n第三天",
    "黄晓明张瑞丰来电说瞿塘峡附近有人乱扔垃圾，龘靐齉爩",  # names and rare characters: the HMM
    "\U0001f600\U0010ffff\ud7ff",
]


def _texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        name = NAMES[i % len(NAMES)]
        desc = corpus.description(name, rng, others=NAMES)
        title = corpus.title(name, rng, desc)
        out.append(desc if desc.startswith(title) else f"{title}。{desc}")
    return out


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _texts(300, 11) + ODD


@pytest.fixture(scope="module")
def demo_model() -> ml.TextClassifier:
    rng = random.Random(5)
    train = _texts(20 * len(NAMES), 3)
    metas = [f"ch:hotline st:{rng.randint(1, 9)} co:{rng.randint(10, 40)}" for _ in train]
    samples = [ml.Sample(t, m, NAMES[i % len(NAMES)]) for i, (t, m) in enumerate(zip(train, metas, strict=True))]
    clf = ml.fit(samples)
    clf.temperature = 0.37
    return clf


def test_murmurhash_is_sklearns():
    rng = random.Random(1)
    for _ in range(2000):
        s = "".join(
            chr(rng.choice([rng.randint(32, 126), rng.randint(0x4E00, 0x9FA5), rng.randint(0x80, 0x10FFFF)]))
            for _ in range(rng.randint(0, 9))
        )
        data = s.encode("utf-8", "surrogatepass")
        assert scoring.murmurhash3_32(data) == murmurhash3_32(data, seed=0)


def test_the_compact_segmenter_cuts_as_jieba(texts):
    for text in texts:
        assert wordseg.lcut(text) == jieba.lcut(text), text


def test_the_compact_dictionary_answers_as_jiebas(tmp_path, monkeypatch):
    jieba.initialize()
    freq, total = jieba.dt.FREQ, jieba.dt.total
    rng = random.Random(2)
    keys = rng.sample(sorted(freq), 5000)  # words and word prefixes (count 0)
    keys += [k + "\u9fa5" for k in keys[:500]] + ["", "\U0001f600", "zz", "井盖井盖"]  # neither
    # Compiled here in this process (the child-process path is what the other tests use).
    monkeypatch.setattr(wordseg.subprocess, "run", lambda *a, **k: (_ for _ in ()).throw(OSError("no fork")))
    monkeypatch.setattr(wordseg.tempfile, "gettempdir", lambda: str(tmp_path))
    d = wordseg.Dictionary(wordseg._compiled(wordseg.jieba_dir()))
    assert d.total == total
    for k in keys:
        if k:
            assert d.lookup(k) == freq.get(k), k


@pytest.mark.parametrize("legacy", [False, True])
def test_feature_rows_are_the_sklearn_features(texts, legacy):
    metas = ["ch:hotline st:3 co:17", "", "ch:web st:- co:-", "ch:- st:12 co:99 extra"]
    metas = [metas[i % len(metas)] for i in range(len(texts))]
    x = ml.features(texts, metas, legacy=legacy).tocsr()
    for i, (text, meta) in enumerate(zip(texts, metas, strict=True)):
        row = scoring.features_row(text, meta, legacy=legacy)
        start, end = x.indptr[i], x.indptr[i + 1]
        expected = dict(zip(x.indices[start:end].tolist(), x.data[start:end].tolist(), strict=True))
        assert sorted(row) == sorted(expected), text
        for col, value in row.items():
            assert value == pytest.approx(expected[col], rel=1e-6, abs=1e-7)


def test_the_layout_constants_are_the_models():
    assert (scoring.TEXT_FEATURES, scoring.META_FEATURES, scoring.WORD_FEATURES) == (
        ml.TEXT_FEATURES,
        ml.META_FEATURES,
        ml.WORD_FEATURES,
    )
    assert (scoring.META_WEIGHT, scoring.WORD_WEIGHT, scoring.NGRAMS) == (ml.META_WEIGHT, ml.WORD_WEIGHT, ml.NGRAMS)


def _softmax(z: np.ndarray) -> np.ndarray:
    p = np.exp(z - z.max())
    return p / p.sum()


def _compare(clf: ml.TextClassifier, scorer: scoring.Scorer, texts: list[str], meta: str = "ch:hotline st:3 co:17"):
    """Top-3 identical, probabilities within 1e-6 of the dense product's (float64)."""
    w = clf.weights.astype(np.float64)
    x = clf.features(texts, [meta] * len(texts)).astype(np.float64)
    dense = np.asarray(x @ w) / clf.temperature
    worst = 0.0
    for i, text in enumerate(texts):
        p_ref = _softmax(dense[i])
        p = _softmax(np.array(scorer.text_logits(text, meta)))
        if text.strip():
            assert list(np.argsort(-p, kind="stable")[:3]) == list(np.argsort(-p_ref, kind="stable")[:3]), text
        worst = max(worst, float(np.abs(p - p_ref).max()))
    assert worst < 1e-6, worst
    return worst


def test_a_compact_model_scores_as_the_dense_one(demo_model, texts):
    blob = demo_model.dumps()
    assert blob.startswith(scoring.MAGIC)
    assert len(blob) < demo_model.weights.nbytes / 5  # the point of the compact form
    scorer = scoring.loads(blob)
    assert scorer.classes == demo_model.classes and scorer.temperature == demo_model.temperature
    _compare(demo_model, scorer, texts)
    # The dense weights come back for training within the tolerance of the compact form.
    again = ml.TextClassifier.loads(blob)
    assert np.abs(again.weights - demo_model.weights).max() <= scoring.TOLERANCE * 1.01
    assert again.text_grams == demo_model.text_grams and not again.legacy


def test_a_model_pickled_before_the_compact_form_is_converted_at_load(demo_model, texts):
    buffer = io.BytesIO()
    joblib.dump(demo_model, buffer)  # how versions were saved until now
    scorer = scoring.loads(buffer.getvalue())
    _compare(demo_model, scorer, texts[:100])


def test_scipy_margins_of_the_scorer_are_the_dense_products(demo_model, texts):
    scorer = scoring.loads(demo_model.dumps())
    x = demo_model.features(texts[:50], ["ch:hotline"] * 50)
    np.testing.assert_allclose(scorer.margins(x), demo_model.margins(x), rtol=1e-6, atol=1e-4)
    # The rest of TextClassifier's interface that training and the benches use.
    texts50, metas50 = texts[:50], ["ch:hotline"] * 50
    # TextClassifier.proba multiplies in float32: its own distance from the exact product
    # (float64, which the scorer matches within 1e-6, _compare) is ~1e-5, so the two
    # agree to that.
    old = demo_model.proba(texts50, metas50)
    exact = np.apply_along_axis(
        _softmax, 1, np.asarray(x.astype(np.float64) @ demo_model.weights.astype(np.float64)) / demo_model.temperature
    )
    float32_noise = float(np.abs(old - exact).max())
    assert 1e-7 < float32_noise < 5e-5
    np.testing.assert_allclose(scorer.proba(texts50, metas50), exact, atol=1e-6)
    np.testing.assert_allclose(scorer.proba(texts50, metas50), old, atol=2 * float32_noise)
    np.testing.assert_allclose(scorer.weights, demo_model.weights, atol=scoring.TOLERANCE * 1.01)
    assert ml.topk_hits(scorer, x, [demo_model.classes[0]] * 50) == ml.topk_hits(
        demo_model, x, [demo_model.classes[0]] * 50
    )


def test_a_legacy_grams_model_keeps_its_grams_in_the_compact_form(texts):
    samples = [ml.Sample(t, "", NAMES[i % 5]) for i, t in enumerate(_texts(100, 8))]
    trainer = ml.Trainer({n: 20 for n in NAMES[:5]})
    trainer.update(
        ml.features([s.text for s in samples], [""] * 100, legacy=True), [s.label for s in samples], [1] * 100
    )
    old = trainer.classifier(temperature=1.0)
    del old.text_grams  # pickled before the attribute existed
    scorer = scoring.loads(old.dumps())
    assert scorer.legacy
    _compare(old, scorer, texts[:60], meta="")


def test_scoring_loads_no_heavy_library(demo_model, tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(demo_model.dumps())
    code = (
        "import json, sys; from triage import scoring;"
        f"s = scoring.loads(open({str(path)!r}, 'rb').read()); s.text_logits('井盖丢了好几天', 'ch:hotline');"
        "heavy = {'numpy', 'scipy', 'sklearn', 'jieba', 'joblib'};"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & heavy)))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
