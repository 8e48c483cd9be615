"""Scoring a text with a trained model in plain Python: the processes that route
(Celery children) and suggest (web) need neither scikit-learn, SciPy nor NumPy for it
(issue 14, item 3: memory). ``triage.model`` trains and saves; this module loads and
predicts, with the same features and the same weights:

- Features: sklearn's ``HashingVectorizer`` reproduced, for the character grams
  (``char_wb``: lower-cased, whitespace-normalised words padded with a space,
  ``n``-grams of each), the place tokens and the jieba words (``triage.wordseg``, jieba's
  own segmentation with a compact dictionary): each token's bucket is MurmurHash3
  (x86, 32-bit, seed 0) of its UTF-8 bytes, ``abs(h) % n_features``, counts or presence,
  l2-normalised, weighted, side by side. ``triage/tests/test_scoring.py`` holds every
  column equal to ``triage.model.features``.
- Weights: Complement Naive Bayes' ``W[f, c] = log S_c − log(T_f + α − N_fc)`` (S_c the
  class's complement total, T_f the feature's count over all classes, N_fc in class c).
  As a dense float32 matrix that is 197,632 rows × classes: 47 MB for the 63 demo
  categories, loaded into every routing process. Most of it repeats: a bucket no
  training text hashed into has T_f = 0 and the same row as every other such bucket,
  and a bucket's classes with N_fc = 0 share ``log S_c − log(T_f + α)``. So the model is
  saved as ``W[f, c] = base[c] + shift[f] + E[f, c]``: one base row, one shift per
  bucket, and E sparse, kept only where it differs from 0 by more than ``TOLERANCE``
  (the float32 rounding of the stored weights), and only for the buckets whose row
  is not the base row: 0.4 MB instead of 47 for the demo's category model.

A margin is then ``sum(x)·base + Σ x_f·shift_f + Σ x_f·E_f`` over the few hundred
non-zero features of a text: a millisecond in Python.
"""

from __future__ import annotations

import json
import math
import re
import struct
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from functools import lru_cache

# The feature layout of triage.model (kept here so this module imports nothing heavy;
# test_scoring holds the two equal).
TEXT_FEATURES = 2**17
META_FEATURES = 2**10
WORD_FEATURES = 2**16
META_WEIGHT = 0.6
WORD_WEIGHT = 0.3
NGRAMS = (1, 2)
LEGACY_NGRAMS = (1, 3)

MAGIC = b"HOTLINE-CNB2\n"
# |E| at or below this is taken as 0: the float32 rounding of weights of magnitude < 32
# (one unit in the last place is 2^-19 there). Each weight is then reproduced within it.
TOLERANCE = 2.0**-19
_WHITE_SPACES = re.compile(r"\s\s+")
_TOKEN = re.compile(r"\S+")


def murmurhash3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit, signed: ``sklearn.utils.murmurhash3_32(data, seed)``."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & 0xFFFFFFFF
    n = len(data)
    end = n & ~3
    for i in range(0, end, 4):
        k = data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
        h = ((h << 13) | (h >> 19)) & 0xFFFFFFFF
        h = (h * 5 + 0xE6546B64) & 0xFFFFFFFF
    tail = n & 3
    if tail:
        k = 0
        if tail == 3:
            k ^= data[end + 2] << 16
        if tail >= 2:
            k ^= data[end + 1] << 8
        k ^= data[end]
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h - 0x100000000 if h & 0x80000000 else h


@lru_cache(maxsize=8192)
def bucket(token: str, n_features: int) -> int:
    """The column FeatureHasher gives a token (sklearn/feature_extraction/_hashing_fast)."""
    h = murmurhash3_32(token.encode("utf-8"))
    if h == -(2**31):
        return (2147483647 - (n_features - 1)) % n_features
    return abs(h) % n_features


def char_wb_grams(text: str, ngrams: tuple[int, int]) -> list[str]:
    """``HashingVectorizer(analyzer="char_wb")``'s tokens (lowercase on)."""
    text = _WHITE_SPACES.sub(" ", text.lower())
    min_n, max_n = ngrams
    out = []
    for w in text.split():
        w = " " + w + " "
        w_len = len(w)
        for n in range(min_n, max_n + 1):
            offset = 0
            out.append(w[offset : offset + n])
            while offset + n < w_len:
                offset += 1
                out.append(w[offset : offset + n])
            if offset == 0:  # a short word is counted once
                break
    return out


def words(text: str) -> list[str]:
    """``triage.model.words``: jieba's precise-mode words, whitespace dropped."""
    from triage.wordseg import lcut

    return [w for w in lcut(text) if w.strip()]


def _hashed(tokens: Sequence[str], n_features: int, *, binary: bool) -> dict[int, float]:
    row: dict[int, float] = {}
    for token in tokens:
        col = bucket(token, n_features)
        row[col] = 1.0 if binary else row.get(col, 0.0) + 1.0
    return row


def _l2(row: dict[int, float], weight: float = 1.0) -> dict[int, float]:
    norm = math.sqrt(sum(v * v for v in row.values()))
    return {c: v / norm * weight for c, v in row.items()} if norm else {}


def features_row(text: str, meta: str, *, legacy: bool = False) -> dict[int, float]:
    """One text's non-zero feature columns and values, as ``triage.model.features``."""
    grams = char_wb_grams(text, LEGACY_NGRAMS if legacy else NGRAMS)
    row = _l2(_hashed(grams, TEXT_FEATURES, binary=legacy))
    for col in _hashed(_TOKEN.findall(meta), META_FEATURES, binary=True):
        row[TEXT_FEATURES + col] = META_WEIGHT
    offset = TEXT_FEATURES + META_FEATURES
    for col, v in _l2(_hashed(words(text), WORD_FEATURES, binary=True), WORD_WEIGHT).items():
        row[offset + col] = v
    return row


class Scorer:
    """A trained model for prediction: ``W = base + shift + E`` (see the module doc),
    stored for the buckets that differ from the base row only (``seen``, sorted)."""

    def __init__(
        self,
        classes: Sequence[str],
        temperature: float,
        text_grams: Sequence[int],
        n_rows: int,
        base: array,
        seen: array,
        shift: array,
        indptr: array,
        cols: array,
        vals: array,
    ) -> None:
        self.classes = [str(c) for c in classes]
        self.temperature = float(temperature)
        self.text_grams = tuple(text_grams)
        self.n_rows = int(n_rows)
        self.base, self.seen, self.shift = base, seen, shift
        self.indptr, self.cols, self.vals = indptr, cols, vals
        self._scipy = None

    @property
    def legacy(self) -> bool:
        """Counted on the binary character 1–3-grams of models saved before run 4."""
        return self.text_grams != NGRAMS

    # -- prediction (plain Python) -----------------------------------------------------
    def rows(self, texts: Sequence[str], metas: Sequence[str]) -> list[dict[int, float]]:
        return [features_row(t, m, legacy=self.legacy) for t, m in zip(texts, metas, strict=True)]

    def scores(self, row: dict[int, float]) -> list[float]:
        """The margins (``x @ W``) of one feature row, one per class."""
        seen, shift, indptr, cols, vals = self.seen, self.shift, self.indptr, self.cols, self.vals
        total = common = 0.0
        extra = [0.0] * len(self.base)
        n_rows, n_seen = self.n_rows, len(seen)
        for f, v in row.items():
            if f >= n_rows:  # a model saved before the word columns scores its own columns
                continue
            total += v
            k = bisect_left(seen, f)
            if k < n_seen and seen[k] == f:
                common += v * shift[k]
                for j in range(indptr[k], indptr[k + 1]):
                    extra[cols[j]] += v * vals[j]
        return [total * b + common + e for b, e in zip(self.base, extra, strict=True)]

    def text_logits(self, text: str, meta: str) -> list[float]:
        """Calibrated log-odds of one text, one per class (plain Python)."""
        return [m / self.temperature for m in self.scores(self.rows([text], [meta])[0])]

    # -- what training and the benches call, as on triage.model.TextClassifier (SciPy
    # matrices in, NumPy arrays out; these import them) --------------------------------
    def logits(self, texts: Sequence[str], metas: Sequence[str]):
        """(n, classes) calibrated log-odds, as ``TextClassifier.logits``."""
        return self.margins(self.features(texts, metas)) / self.temperature

    def proba(self, texts: Sequence[str], metas: Sequence[str]):
        """(n, classes) probabilities, as ``TextClassifier.proba``."""
        from scipy.special import softmax

        return softmax(self.logits(texts, metas), axis=1)

    @property
    def weights(self):
        """The dense float32 weights, as ``TextClassifier.weights`` (built on each access:
        for training and tests, never on the routing path)."""
        return self.dense()

    def features(self, texts: Sequence[str], metas: Sequence[str]):
        """The SciPy feature matrix of ``triage.model`` (training judges the active model
        on it)."""
        from triage import model as ml

        return ml.features(texts, metas, legacy=self.legacy)

    def _full(self):
        """(shift per row, E as a rows × classes SciPy CSR matrix)."""
        import numpy as np
        from scipy import sparse

        if self._scipy is None:
            seen = np.frombuffer(self.seen, dtype=np.uint32).astype(np.int64)
            shift = np.zeros(self.n_rows)
            shift[seen] = np.frombuffer(self.shift, dtype=np.float64)
            counts = np.diff(np.frombuffer(self.indptr, dtype=np.uint32).astype(np.int64))
            e = sparse.csr_matrix(
                (
                    np.frombuffer(self.vals, dtype=np.float64),
                    (np.repeat(seen, counts), np.frombuffer(self.cols, dtype=np.uint16)),
                ),
                shape=(self.n_rows, len(self.classes)),
            )
            self._scipy = (shift, e)
        return self._scipy

    def margins(self, x):
        """``x @ W`` for a SciPy sparse matrix (training, benches): an (n, classes) array."""
        import numpy as np
        from scipy import sparse

        shift, e = self._full()
        x = sparse.csr_matrix(x, dtype=np.float64)
        if x.shape[1] > self.n_rows:
            x = x[:, : self.n_rows]
        base = np.frombuffer(self.base, dtype=np.float64)
        total = np.asarray(x.sum(axis=1))
        return total * base[None, :] + (x @ shift)[:, None] + np.asarray((x @ e).todense())

    def dense(self):
        """The full weight matrix (float32), as ``triage.model.TextClassifier`` holds it."""
        import numpy as np

        shift, e = self._full()
        w = np.repeat(np.frombuffer(self.base, dtype=np.float64)[None, :], self.n_rows, axis=0)
        w += shift[:, None]
        w += e.toarray()
        return w.astype(np.float32)

    # -- the saved form ------------------------------------------------------------------
    _ARRAYS = (("base", "d"), ("seen", "I"), ("shift", "d"), ("indptr", "I"), ("cols", "H"), ("vals", "d"))

    def dumps(self) -> bytes:
        header = json.dumps(
            {
                "classes": self.classes,
                "temperature": self.temperature,
                "text_grams": list(self.text_grams),
                "rows": self.n_rows,
                "lengths": [len(getattr(self, name)) for name, _ in self._ARRAYS],
            },
            ensure_ascii=False,
        ).encode("utf-8")
        parts = [MAGIC, struct.pack("<I", len(header)), header]
        parts += [getattr(self, name).tobytes() for name, _ in self._ARRAYS]
        return b"".join(parts)

    @classmethod
    def from_compact(cls, blob) -> Scorer:
        view = memoryview(blob)  # no copies of the blob: each array copies its own part once
        pos = len(MAGIC)
        (size,) = struct.unpack_from("<I", view, pos)
        pos += 4
        head = json.loads(bytes(view[pos : pos + size]).decode("utf-8"))
        pos += size
        arrays = {}
        for (name, code), count in zip(cls._ARRAYS, head["lengths"], strict=True):
            a = array(code)
            a.frombytes(view[pos : pos + a.itemsize * count])
            pos += a.itemsize * count
            arrays[name] = a
        if pos != len(view):
            raise ValueError("model blob: unexpected length")
        return cls(head["classes"], head["temperature"], head["text_grams"], head["rows"], **arrays)

    @classmethod
    def from_weights(cls, classes, weights, temperature: float, text_grams) -> Scorer:
        """The compact form of a dense weight matrix (features × classes); NumPy, in the
        process that trains or converts an old model."""
        import numpy as np

        w = np.asarray(weights, dtype=np.float32)
        n_rows, n_classes = w.shape
        if n_classes > 65535:
            raise ValueError("too many classes for the compact form")
        # The base row: the most frequent row of the place columns (buckets no token hit
        # share one row; any base is exact, this one leaves most rows equal to it).
        block = w[TEXT_FEATURES : TEXT_FEATURES + META_FEATURES] if n_rows > TEXT_FEATURES else w
        uniq, counts = np.unique(block, axis=0, return_counts=True)
        base = uniq[int(np.argmax(counts))].astype(np.float64) if counts.max() > 1 else w.min(axis=0).astype(np.float64)
        seen, shifts, lengths, cols, vals = [], [], [], [], []
        for start in range(0, n_rows, 16384):  # in slices: bounded memory for big models
            r = w[start : start + 16384].astype(np.float64) - base
            s = np.median(r, axis=1)
            e = r - s[:, None]
            keep = np.abs(e) > TOLERANCE
            s[np.abs(s) <= TOLERANCE] = 0.0  # a row equal to the base row within rounding
            rows = np.nonzero((s != 0) | keep.any(axis=1))[0]
            seen.append((rows + start).astype(np.uint32))
            shifts.append(s[rows])
            lengths.append(keep[rows].sum(axis=1))
            rr, cc = np.nonzero(keep[rows])
            cols.append(cc.astype(np.uint16))
            vals.append(e[rows][rr, cc])
        indptr = np.concatenate([[0], np.cumsum(np.concatenate(lengths))]).astype(np.uint32)
        return cls(
            classes,
            temperature,
            text_grams,
            n_rows,
            base=array("d", base.tobytes()),
            seen=array("I", np.concatenate(seen).tobytes()),
            shift=array("d", np.concatenate(shifts).astype(np.float64).tobytes()),
            indptr=array("I", indptr.tobytes()),
            cols=array("H", np.concatenate(cols).tobytes()),
            vals=array("d", np.concatenate(vals).astype(np.float64).tobytes()),
        )


def loads(blob) -> Scorer:
    """A saved model for prediction. The compact form loads in plain Python; a model
    pickled by joblib before it (dense weights) is converted here, which imports NumPy
    and scikit-learn into this process once, until the next training saves it compact."""
    if bytes(memoryview(blob)[: len(MAGIC)]) == MAGIC:
        return Scorer.from_compact(blob)
    from triage.model import TextClassifier

    old = TextClassifier.loads(blob)
    return Scorer.from_weights(old.classes, old.weights, old.temperature, old.text_grams)
