"""The learned classifier: text (+ channel and place) → ranked labels with calibrated
probabilities. Imported only by processes that train (scikit-learn and SciPy cost ~100
MB of memory): the processes that route and suggest load a saved model with
``triage.scoring``, which computes the same features and margins in plain Python, and
segment words with ``triage.wordseg`` (jieba's algorithm over a compact dictionary).

Features: character 1–2-grams (``char_wb``) of title and description, counted (not
just present) and hashed (HashingVectorizer), plus hashed channel/street/community
tokens, plus jieba word unigrams at a lower weight (WORD_WEIGHT). Why characters first:
what operators and residents type is short, colloquial and full of typos and homophones
(漏水/露水, 井盖/景盖), place names that no dictionary knows and no punctuation;
character grams still match the parts that are right. Why only up to 2-grams: on the
generator's held-out phrasings (ways of saying things the model never saw; 10 000
training orders, 3 000 unseen texts, two seeds) 1–2-grams with counts and ALPHA 2
beat run 3's 1–3-grams (top-1 80.5 → 84.8 % and 83.5 → 84.6 %; top-3 92.7 → 95.6 %
and 93.0 → 95.2 %; with the first version of ``workorders/demo/colloquial.py``
82.7 → 86.8 % and 81.1 → 84.5 %, top-3 93.7 → 96.0 % and 94.0 → 96.3 %); 1–4 and 2–4
were worse (79.9 %, 77.2 %) and unigrams alone far worse (76.9 %): a 3-gram mostly
repeats one phrasing the model saw, a 2-gram is a word or half of one, which new
wordings share; the longer units come from the jieba words. Why counts: a word said
twice (漏水…还在漏) is the point of the call; binary presence gave 82.9 %, counts
84.3 % (seed 1, ALPHA 1). Why words as well: jieba unigrams at weight
0.3 next to the character grams raised top-1 by about a point in run 3 (with 1–2-grams,
weights 0.5 and 0.7 were no better than 0.3; words off was not measured again); word
bigrams did not help. jieba's
dictionary costs ~0.95 s CPU and ~60 MB once per process: it is loaded lazily, on the
first text that needs words (``_jieba()``), never at import. Why hashing: no vocabulary
to fit, so a history of any length is read once, in chunks, with memory bounded by the
feature count, never by the number of orders. The word columns come after the character
and place columns, so a model saved before them (narrower weights) still scores the
leading columns (``TextClassifier.margins``); a model saved with binary 1–3-grams
(before run 4) is scored with those, its own, until the next training replaces it
(``TextClassifier.text_grams``).

Model: Complement Naive Bayes (Rennie et al. 2003, "Tackling the poor assumptions of
naive Bayes text classifiers"), scikit-learn's ``ComplementNB`` formula with its counts
kept by ``Trainer`` (identical weights, without partial_fit's per-chunk recomputation).
Chosen because its fit is a sum of per-class counts: streaming a million orders chunk by
chunk gives exactly the model a batch fit would, in one pass (no epochs, no learning
rate), and adding the held-out part afterwards is one more ``update``. On the
generator's phrase-level split (phrasings held out from training) it beat every
discriminative model tried over the same features (10 000 orders, 3 000 unseen texts):
SGD with log loss 55–66 % top-1 (alpha 1e-5 … 3e-3), modified Huber 38–76 %, hinge
42–66 %, against NB's 80.5 %; averaging NB's log-probabilities with the best of them
(modified Huber, alpha 1e-3) gave 79.9 %, no gain. A discriminative model fits the
phrasings it saw (their 3-grams separate the classes perfectly) and so transfers worse
to new wordings than NB's smoothed counts; it also needs epochs (an hour for a million
orders over 65 classes). The complement counts resist class imbalance, which plain
multinomial NB does not (0.76).

Its scores are turned into probabilities by temperature scaling (one parameter on the
softmax of the scores, fitted on the held-out slice by maximum likelihood next to a
share of wrongly labelled orders: see ``calibrate``), so "0.8" means right about four
times in five — the auto-dispatch thresholds rely on that. A temperature keeps the ranking and costs
nothing at prediction time (a per-class CalibratedClassifierCV cost ~20 ms a suggestion).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import joblib
import numpy as np
from scipy import sparse
from scipy.special import softmax
from sklearn.feature_extraction.text import HashingVectorizer

# 2^17 text buckets: collisions among the distinct 1–2-grams of real texts (a few
# thousand characters, tens of thousands of pairs) stay rare, and a 65-class model is
# 33 MB of float32 (loads in well under a second).
TEXT_FEATURES = 2**17
META_FEATURES = 2**10
META_WEIGHT = 0.6  # channel/place tokens next to the text's own grams (text rows have norm 1)
WORD_FEATURES = 2**16  # jieba words of the texts: far fewer distinct ones than char grams
WORD_WEIGHT = 0.3  # best of 0.3 / 0.5 / 0.7 / 1.0 on the held-out phrasings (see above)
# Laplace smoothing of the complement counts; on the generator's phrase-level split
# (unseen phrasings) 1.0 beat 0.1 and 0.3 with 1–3-grams, and with 1–2-grams and
# counts 2.0 beat 1.0 (top-1 84.8 vs 84.3 %, top-3 95.6 vs 95.1 %): more smoothing
# generalises, less memorises.
ALPHA = 2.0
NGRAMS = (1, 2)


@dataclass
class Sample:
    text: str  # title + description
    meta: str  # space-separated tokens: channel, street, community
    label: str
    weight: float = 1.0


_TEXT = HashingVectorizer(
    analyzer="char_wb",
    ngram_range=NGRAMS,
    n_features=TEXT_FEATURES,
    alternate_sign=False,
    norm="l2",
    binary=False,
    dtype=np.float32,
)
# What models saved before run 4 were trained on (binary 1–3-grams): they keep being
# scored with it until the next training replaces them (``TextClassifier.text_grams``).
_LEGACY_TEXT = HashingVectorizer(
    analyzer="char_wb",
    ngram_range=(1, 3),
    n_features=TEXT_FEATURES,
    alternate_sign=False,
    norm="l2",
    binary=True,
    dtype=np.float32,
)
_jieba_module = None


def _jieba():
    """jieba, its dictionary loaded once per process on first use (~0.95 s CPU)."""
    global _jieba_module
    if _jieba_module is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)  # it prints its load time to stderr otherwise
        jieba.initialize()
        _jieba_module = jieba
    return _jieba_module


def words(text: str) -> list[str]:
    """jieba's precise-mode words of ``text``, whitespace dropped."""
    return [w for w in _jieba().lcut(text) if w.strip()]


_WORDS = HashingVectorizer(
    analyzer=words,
    n_features=WORD_FEATURES,
    alternate_sign=False,
    norm="l2",
    binary=True,
    dtype=np.float32,
)
_META = HashingVectorizer(
    token_pattern=r"\S+",
    lowercase=False,
    n_features=META_FEATURES,
    alternate_sign=False,
    norm=None,
    binary=True,
    dtype=np.float32,
)


def features(texts: Sequence[str], metas: Sequence[str], *, legacy: bool = False) -> sparse.csr_matrix:
    """The hashed feature rows (stateless: the same for training and prediction).
    ``legacy``: the character grams of models saved before run 4 (binary 1–3-grams)."""
    x_text = (_LEGACY_TEXT if legacy else _TEXT).transform(texts)
    x_meta = _META.transform(metas) * META_WEIGHT
    x_words = _WORDS.transform(texts) * WORD_WEIGHT
    return sparse.hstack([x_text, x_meta, x_words], format="csr", dtype=np.float32)


class TextClassifier:
    """The fitted weights (features × classes, float32) and temperature over ``classes``."""

    # The character grams the weights were counted on. A model pickled before run 4 has
    # no such attribute of its own and reads this class default: its features stay the
    # ones it was trained on (a deploy must not score an active model with grams it never
    # saw until the nightly training replaces it). New models record NGRAMS.
    text_grams: tuple[int, int] = (1, 3)

    def __init__(self, classes: Sequence[str], weights: np.ndarray, temperature: float = 1.0) -> None:
        self.classes = [str(c) for c in classes]
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.temperature = temperature
        self.text_grams = NGRAMS

    @property
    def legacy(self) -> bool:
        return tuple(self.text_grams) != NGRAMS

    def features(self, texts: Sequence[str], metas: Sequence[str]):
        return features(texts, metas, legacy=self.legacy)

    def margins(self, x) -> np.ndarray:
        # A model saved before the word columns existed has fewer rows of weights: it
        # scores the leading (character and place) columns it was trained on.
        if x.shape[1] > self.weights.shape[0]:
            x = x[:, : self.weights.shape[0]]
        return np.asarray(x @ self.weights)

    def logits(self, texts: Sequence[str], metas: Sequence[str]) -> np.ndarray:
        """(n, len(classes)) calibrated log-odds; softmax over any subset of the columns
        gives that subset's probabilities (the closed set renormalises this way)."""
        return self.margins(self.features(texts, metas)) / self.temperature

    def proba(self, texts: Sequence[str], metas: Sequence[str]) -> np.ndarray:
        """(n, len(classes)) probabilities, rows summing to 1."""
        return softmax(self.logits(texts, metas), axis=1)

    def dumps(self) -> bytes:
        """The compact saved form (``triage.scoring``: a base row, a shift per bucket and
        the sparse rest: 0.4 MB instead of 47 for the demo's categories), which routing processes score in plain
        Python without NumPy, SciPy or scikit-learn."""
        from triage.scoring import Scorer

        return Scorer.from_weights(self.classes, self.weights, self.temperature, self.text_grams).dumps()

    @staticmethod
    def loads(blob: bytes) -> TextClassifier:
        """A saved model with its dense weights: the compact form, or a joblib pickle of a
        TextClassifier (versions saved before the compact form)."""
        from triage.scoring import MAGIC, Scorer

        if bytes(memoryview(blob)[: len(MAGIC)]) != MAGIC:
            return joblib.load(io.BytesIO(bytes(blob)))
        scorer = Scorer.from_compact(blob)
        clf = TextClassifier(scorer.classes, scorer.dense(), scorer.temperature)
        clf.text_grams = scorer.text_grams
        return clf


class Trainer:
    """Counts a stream of chunks for one kind of label; any time, ``classifier()``.

    ``counts`` (label → orders in the whole history, read before streaming) balance the
    classes: each order weighs total / (classes × its class's count), so every category
    brings the same mass to the counts. Without it the few categories that make most calls
    swallowed the rare ones on unseen phrasings (generator split, 10 000 orders with
    Zipf-like frequencies: macro top-1 0.63 → 0.80, top-1 0.76 → 0.83)."""

    def __init__(self, counts: dict[str, int]) -> None:
        counts = {str(c): n for c, n in counts.items() if n}
        self.classes = np.array(sorted(counts))
        self.known = frozenset(counts)
        self.row = {c: i for i, c in enumerate(self.classes)}
        total = sum(counts.values())
        self.balance = {c: total / (len(counts) * n) for c, n in counts.items()}
        # (classes × features) weighted feature counts: ComplementNB's ``feature_count_``,
        # kept here because its partial_fit recomputes every log-probability after each
        # chunk (~0.5 s a chunk and kind, ~200 s of a million-order run), while the model
        # needs them once, in ``classifier``.
        self.counts: np.ndarray | None = None
        self.seen = 0

    def update(self, x, labels: Sequence[str], weights: Sequence[float]) -> None:
        if not len(labels) or len(self.classes) < 2:  # nothing to tell apart (cold start)
            self.seen += len(labels)
            return
        w = np.asarray(weights, dtype=np.float64) * np.array([self.balance[str(y)] for y in labels])
        if (w < 0).any() or (x.data < 0).any():
            raise ValueError("Naive Bayes counts must not be negative")
        # One (weighted) one-hot row per order: Y @ X sums each class's feature counts.
        y = sparse.csr_matrix(
            (w, ([self.row[str(label)] for label in labels], np.arange(len(labels)))),
            shape=(len(self.classes), x.shape[0]),
        )
        if self.counts is None:
            self.counts = np.zeros((len(self.classes), x.shape[1]), dtype=np.float64)
        self.counts += (y @ x).toarray()
        self.seen += len(labels)

    def classifier(self, temperature: float = 1.0) -> TextClassifier:
        """ComplementNB's weights from the counts (its ``_update_feature_log_prob``,
        norm=False: the same numbers as ``ComplementNB(alpha=ALPHA).partial_fit``, which
        the tests check). Its decision is X @ weights (a linear model): kept as
        (features × classes) float32."""
        if self.counts is None:
            raise ValueError("nothing counted yet")
        complement = self.counts.sum(axis=0) + ALPHA - self.counts
        log_prob = -np.log(complement / complement.sum(axis=1, keepdims=True))
        return TextClassifier(self.classes, log_prob.T, temperature)


def fit(samples: Sequence[Sample]) -> TextClassifier:
    """Fit on a list of samples (at least two labels), temperature 1 (tests, small uses)."""
    counts = Counter(s.label for s in samples)
    if len(counts) < 2:
        raise ValueError("need at least two different labels to train")
    trainer = Trainer(counts)
    trainer.update(
        features([s.text for s in samples], [s.meta for s in samples]),
        [s.label for s in samples],
        [s.weight for s in samples],
    )
    return trainer.classifier()


T_BOUNDS = (0.005, 50.0)  # search range of the temperature
NOISE_MAX = 0.5  # a history with more than half its labels wrong teaches nothing anyway


def temperature(clf: TextClassifier, x, y: Sequence[str]) -> float:
    """The temperature T of softmax(margins / T), fitted on the held-out rows (x, y):
    see ``calibrate``."""
    return calibrate(clf, x, y)[0]


def calibrate(clf: TextClassifier, x, y: Sequence[str]) -> tuple[float, float]:
    """(T, noise): maximum likelihood of the held-out labels under a label-noise
    mixture, P(label) = (1 - noise) · softmax(margins / T)[label] + noise / classes.

    A history holds wrongly labelled orders (categories nobody corrected); the model is
    confidently "wrong" on them whatever its T. Plain likelihood (Guo et al. 2017) is
    dominated by those few and drives T up until every answer looks unsure (a median
    top-1 probability of 0.14 on texts right 80 % of the time, 5 % noise). Run 4's fix,
    T such that the mean top-1 probability equals the held-out accuracy, still counted
    the noise against the model: with 5 % wrong labels it made the confidence about
    ten points too low everywhere, and on unseen phrasings (the generator's split, model
    A) the mean confidence was 0.57 while 87 % were right. The mixture's second
    parameter takes the wrong labels (it recovers 4.8 % on a history with 5 %), and T is
    fitted on the rest: on the same unseen phrasings the mean confidence rose to ~0.83
    against ~0.90 right, and per 0.1 bin the share right follows the confidence (10,000
    orders, seed 1; BENCHMARKS.md, run 5). The suggestion's confidence is the clean
    part, softmax(margins / T): the chance that the category is right, not that a
    person would have filed it there. ``noise`` is the estimated share of wrong labels
    in the held-out part (logged with the version).

    Found by golden-section search on log T with, at each T, the best noise share
    (a one-dimensional concave problem): ~40 softmax passes over the held-out rows."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    index = {c: i for i, c in enumerate(clf.classes)}
    rows = [k for k, label in enumerate(y) if str(label) in index]
    if not rows:
        return 1.0, 0.0
    m = clf.margins(x[np.array(rows)]).astype(np.float64)
    labels = np.array([index[str(y[k])] for k in rows])
    uniform = 1.0 / len(clf.classes)
    picked = np.arange(len(rows))

    def noise_and_nll(log_t: float) -> tuple[float, float]:
        p = np.exp(log_softmax(m / np.exp(log_t), axis=1)[picked, labels])

        def nll(noise: float) -> float:
            return -float(np.mean(np.log((1 - noise) * p + noise * uniform + 1e-300)))

        best = minimize_scalar(nll, bounds=(0.0, NOISE_MAX), method="bounded", options={"xatol": 1e-4})
        return float(best.x), float(best.fun)

    fit = minimize_scalar(
        lambda log_t: noise_and_nll(log_t)[1],
        bounds=(np.log(T_BOUNDS[0]), np.log(T_BOUNDS[1])),
        method="bounded",
        options={"xatol": 1e-3},
    )
    return float(np.exp(fit.x)), noise_and_nll(float(fit.x))[0]


def topk_hits(clf: TextClassifier, x, y: Sequence[str], ks=(1, 3)) -> dict[int, int]:
    """How many rows have their label among the k highest-scoring classes."""
    if not len(y):
        return {k: 0 for k in ks}
    index = {c: i for i, c in enumerate(clf.classes)}
    order = np.argsort(-clf.margins(x), axis=1)[:, : max(ks)]
    out = {}
    for k in ks:
        cols = [index.get(str(label), -1) for label in y]
        out[k] = sum(1 for row, col in zip(order, cols, strict=True) if col >= 0 and col in row[:k])
    return out
