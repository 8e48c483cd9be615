"""jieba word features next to the character grams: present, loaded lazily, and models
saved before them still usable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from triage import model as ml


def test_the_features_carry_jieba_words_after_the_character_and_place_columns():
    x = ml.features(["井盖丢了"], ["hotline"])
    width = ml.TEXT_FEATURES + ml.META_FEATURES
    assert x.shape[1] == width + ml.WORD_FEATURES
    assert ml.words("井盖丢了") == ["井盖", "丢", "了"]
    # The column jieba's word 井盖 hashes to is set, at the word weight (one word of
    # three, l2-normalised, times WORD_WEIGHT).
    column = ml._WORDS.transform(["井盖"]).indices[0]
    assert x[0, width + column] == pytest.approx(ml.WORD_WEIGHT / np.sqrt(3), rel=1e-5)
    # A text with both characters, but not as that word, does not set it.
    other = ml.features(["盖楼挖井"], [""])
    assert other[0, width + column] == 0


def test_words_decide_between_texts_whose_characters_are_the_same():
    # Same characters, different words: 井盖 (a manhole cover) vs 盖/井 apart.
    samples = [ml.Sample("井盖丢了", "", "cover")] * 5 + [ml.Sample("盖楼挖井", "", "build")] * 5
    clf = ml.fit(samples)
    width = ml.TEXT_FEATURES + ml.META_FEATURES
    words_only = sparse.hstack(
        [sparse.csr_matrix((1, width), dtype=np.float32), ml._WORDS.transform(["井盖"]) * ml.WORD_WEIGHT],
        format="csr",
    )
    scores = clf.margins(words_only)[0]
    assert clf.classes[int(np.argmax(scores))] == "cover"


def test_a_model_saved_before_the_word_columns_scores_its_own_columns():
    rng = np.random.default_rng(1)
    width = ml.TEXT_FEATURES + ml.META_FEATURES
    old = ml.TextClassifier(["a", "b"], rng.random((width, 2), dtype=np.float32))
    x = ml.features(["路灯不亮", "井盖丢了"], ["hotline", ""])
    assert np.allclose(old.margins(x), np.asarray(x[:, :width] @ old.weights))
    assert old.proba(["路灯不亮"], ["hotline"]).shape == (1, 2)


def test_jieba_is_not_loaded_by_importing_the_model_only_by_the_first_text():
    # The dictionary costs ~1 s of CPU: web workers that import but never suggest must
    # not pay it, and a process pays it once.
    code = (
        "import sys; from triage import model as m; assert 'jieba' not in sys.modules;"
        " m.words('路灯'); j = m._jieba_module; assert j is not None;"
        " m.words('井盖'); assert m._jieba_module is j; print('ok')"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"
