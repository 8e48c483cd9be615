"""A model saved before run 4 (binary character 1–3-grams) stays scored with the grams
it was counted on after the deploy that changed them, until training replaces it."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from triage import model as ml
from triage.models import ModelKind, ModelVersion
from triage.services import forget_models, triage_suggest
from triage.training import history_stream, model_train


def _legacy(rows) -> ml.TextClassifier:
    trainer = ml.Trainer(Counter(r.category for r in rows))
    x = ml.features([r.text for r in rows], [r.meta for r in rows], legacy=True)
    trainer.update(x, [r.category for r in rows], [1.0] * len(rows))
    old = trainer.classifier(temperature=1.0)  # probabilities short of 0 and 1
    del old.text_grams  # pickled before the attribute existed: the class default applies
    return old


def test_old_and_new_pickles_know_their_grams():
    rows = [ml.Sample("路口有人摆摊", "", "a"), ml.Sample("楼顶加盖房子", "", "b")]
    new = ml.TextClassifier.loads(ml.fit(rows).dumps())
    assert not new.legacy and new.text_grams == ml.NGRAMS
    old = ml.fit(rows)
    del old.text_grams
    old = ml.TextClassifier.loads(old.dumps())
    assert old.legacy
    x_old = old.features(["路口摆摊"], [""])
    assert (x_old != ml.features(["路口摆摊"], [""], legacy=True)).nnz == 0
    assert (x_old != ml.features(["路口摆摊"], [""])).nnz > 0


@pytest.mark.django_db
def test_a_model_saved_with_the_old_grams_suggests_and_is_judged_on_them(history):
    rows = [row for part in history_stream() for row in part]
    first = model_train(kind=ModelKind.CATEGORY, rows=rows)
    old = _legacy(rows)
    ModelVersion.objects.filter(pk=first.version.pk).update(blob=old.dumps())
    forget_models()
    text = "小区门口有个卖水果的摊子占了人行道"
    s = triage_suggest(text=text)
    meta = "ch:- st:- co:-"
    z = old.margins(ml.features([text], [meta], legacy=True))[0] / old.temperature
    p = np.exp(z - z.max())
    p /= p.sum()
    assert [r.code for r in s.categories] == [old.classes[i] for i in np.argsort(-p)[: len(s.categories)]]
    assert s.categories[0].confidence == pytest.approx(float(p.max()), abs=1e-3)
    # Scored with the new grams it would say something else.
    z_new = old.margins(ml.features([text], [meta]))[0] / old.temperature
    assert not np.allclose(z_new - z_new.max(), z - z.max(), atol=0.05)
    assert 0.5 < p.max() < 0.999
    # The next training compares itself with the old model on the old model's features.
    again = model_train(kind=ModelKind.CATEGORY, rows=rows)
    cut = len(rows) - again.version.holdout_size
    held = rows[cut:]
    expected = ml.topk_hits(
        old, ml.features([r.text for r in held], [r.meta for r in held], legacy=True), [r.category for r in held]
    )[1] / len(held)
    assert again.version.previous_top1 == pytest.approx(expected)
