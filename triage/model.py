"""The learned classifier: text (+ channel and place) → ranked labels with calibrated
probabilities. Imported only by processes that train or predict (scikit-learn and
SciPy cost ~60 MB of memory; web workers that never suggest never pay it).

Why character n-grams (1–3, ``char_wb``) rather than jieba words: what operators type is
short, colloquial and full of typos and homophones (漏水/露水, 井盖/景盖), place names that
no dictionary knows, and mixed problems; character grams still match the parts that are
right, need no dictionary (jieba's takes ~1 s and tens of MB to load at worker start,
against the 2 s budget) and add no dependency. Combining them with jieba words was not
tried for lack of time; the benchmark (bench/dispatch_model.py) is where to try it.
A linear model on them (SGD with log loss, one-vs-rest) trains on the latest
HOTLINE_TRAIN_MAX_ORDERS orders (30 000 by default: fitting time grows with orders ×
classes, and a month of orders is plenty for 65 classes); its scores
are turned into probabilities by temperature scaling (one parameter on the softmax of the
margins, fitted on a slice the model did not train on), so "0.8" means right about four
times in five — the auto-dispatch thresholds rely on that. Temperature rather than
CalibratedClassifierCV: that one fits a sigmoid per class one-vs-rest (65 calibrators
applied on every call: ~20 ms a suggestion, over the budget), and with a prefit model it
still cross-validates, failing on rare classes; one temperature keeps the ranking and
costs nothing at prediction time.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass

import joblib
import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from scipy.special import softmax
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import SGDClassifier

MAX_FEATURES = 2**16  # caps memory and model size (~65 k grams × classes, float32)
META_WEIGHT = 0.6  # channel/place tokens next to the text's own grams


@dataclass
class Sample:
    text: str  # title + description
    meta: str  # space-separated tokens: channel, street, community
    label: str
    weight: float = 1.0


class TextClassifier:
    """A fitted vectoriser pair, a linear model and its temperature, over ``classes``."""

    def __init__(self, text_vec, meta_vec, model, temperature: float) -> None:
        self.text_vec, self.meta_vec, self.model = text_vec, meta_vec, model
        self.temperature = temperature
        self.classes = [str(c) for c in model.classes_]
        self._prepare()

    def _prepare(self) -> None:
        # The weights transposed once, contiguous float32: sklearn's decision_function
        # copies coef_.T on every call (~4 ms of a 65-class, 65 k-feature model).
        coef = np.atleast_2d(self.model.coef_)
        self._w = np.ascontiguousarray(coef.T, dtype=np.float32)
        self._b = np.asarray(self.model.intercept_, dtype=np.float32)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._prepare()

    def features(self, texts: Sequence[str], metas: Sequence[str]):
        x_text = self.text_vec.transform(texts)
        x_meta = self.meta_vec.transform(metas) * META_WEIGHT
        return sparse.hstack([x_text, x_meta], format="csr", dtype=np.float32)

    def margins(self, x) -> np.ndarray:
        m = np.asarray(x @ self._w) + self._b
        return m if m.shape[1] > 1 else np.column_stack([-m[:, 0], m[:, 0]])  # two classes: one margin

    def logits(self, texts: Sequence[str], metas: Sequence[str]) -> np.ndarray:
        """(n, len(classes)) calibrated log-odds; softmax over any subset of the columns
        gives that subset's probabilities (the closed set renormalises this way, without
        underflow when the remaining classes are all unlikely)."""
        return self.margins(self.features(texts, metas)) / self.temperature

    def proba(self, texts: Sequence[str], metas: Sequence[str]) -> np.ndarray:
        """(n, len(classes)) probabilities, rows summing to 1."""
        return softmax(self.logits(texts, metas), axis=1)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_w", "_b")}

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(self, buffer)
        return buffer.getvalue()

    @staticmethod
    def loads(blob: bytes) -> TextClassifier:
        return joblib.load(io.BytesIO(bytes(blob)))


def _sgd(n: int) -> SGDClassifier:
    # alpha shrinks with more data (less regularisation needed); a fixed number of
    # epochs with no early stopping keeps training time predictable.
    alpha = 2e-5 if n < 20_000 else 5e-6
    return SGDClassifier(loss="log_loss", alpha=alpha, max_iter=6, tol=None, random_state=0, average=False, n_jobs=2)


def fit(samples: Sequence[Sample], *, seed: int = 0) -> TextClassifier:
    """Fit on samples (at least two labels). A random sixth calibrates the scores."""
    labels = sorted({s.label for s in samples})
    if len(labels) < 2:
        raise ValueError("need at least two different labels to train")
    text_vec = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(1, 3),
        min_df=2,
        max_features=MAX_FEATURES,
        sublinear_tf=True,
        dtype=np.float32,
    )
    meta_vec = CountVectorizer(token_pattern=r"\S+", binary=True, lowercase=False, dtype=np.float32)
    texts = [s.text for s in samples]
    metas = [s.meta for s in samples]
    x = sparse.hstack([text_vec.fit_transform(texts), meta_vec.fit_transform(metas) * META_WEIGHT], format="csr")
    y = np.array([s.label for s in samples])
    w = np.array([s.weight for s in samples], dtype=np.float64)
    order = list(range(len(samples)))
    random.Random(seed).shuffle(order)
    cut = max(len(order) // 6, 1)
    cal, train = np.array(order[:cut]), np.array(order[cut:])
    # Calibration needs the labels it will see; a label absent from the training part
    # would make the base model's classes differ, so fall back to training on all.
    if len(set(y[train])) != len(labels) or len(set(y[cal])) < 2:
        train = cal = np.arange(len(samples))
    base = _sgd(len(train)).fit(x[train], y[train], sample_weight=w[train])
    clf = TextClassifier(text_vec, meta_vec, base, 1.0)
    clf.temperature = _temperature(clf.margins(x[cal]), y[cal], clf.classes)
    return clf


def _temperature(margins: np.ndarray, y: np.ndarray, classes: list[str]) -> float:
    """The T minimising the negative log-likelihood of softmax(margins / T) (Guo et al.
    2017, "On calibration of modern neural networks"); labels the model never saw are
    left out."""
    index = {c: i for i, c in enumerate(classes)}
    rows = [(k, index[str(label)]) for k, label in enumerate(y) if str(label) in index]
    if not rows:
        return 1.0
    ks, cols = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    m = margins[ks]

    def nll(t: float) -> float:
        z = m / t
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(cols)), cols] - np.log(np.exp(z).sum(axis=1))).mean())

    return float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)


def topk_accuracy(clf: TextClassifier, samples: Sequence[Sample], ks=(1, 3)) -> dict[int, float]:
    """Share of samples whose label is among the k most probable classes."""
    if not samples:
        return {k: 0.0 for k in ks}
    p = clf.proba([s.text for s in samples], [s.meta for s in samples])
    index = {c: i for i, c in enumerate(clf.classes)}
    ranks = np.argsort(-p, axis=1)
    out = {}
    for k in ks:
        hits = 0
        for row, s in zip(ranks, samples, strict=True):
            i = index.get(s.label)
            hits += i is not None and i in row[:k]
        out[k] = hits / len(samples)
    return out
