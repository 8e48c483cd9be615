"""Find the articles that answer what the operator is typing.

Character n-gram TF-IDF (scikit-learn) rather than a word segmenter such as jieba:
callers' words arrive as typed by an operator at speed, with colloquial forms, typos and
no spaces; 2-3 character grams match "暖气啥时候来" to 供暖时间 without a dictionary, and
scikit-learn is already a dependency here (the category classifier uses it). Two fields
are scored: the head (title + keywords/aliases, weighted more: that is where the editors
put the words callers use) and the body (typical question + answer). Only published articles valid on the day count;
the validity dates are checked at query time, so a policy expires at midnight without a
reload.

The index is built once per process and rebuilt when an article is saved (here at once,
elsewhere within a few seconds): hotline.process_cache.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import connections
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from hotline.process_cache import ProcessCache
from knowledge.models import Article, ArticleStatus

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

# scikit-learn and scipy (~100 MB in every process that imports them) are imported where
# the index is built and queried, so a web or worker process that never searches the
# knowledge base never loads them (issue 14; hotline/tests/test_import_weight.py).

HEAD_WEIGHT = 0.65  # title + keywords; the body gets the rest
MIN_SCORE = 0.08  # below this the overlap is a shared common word or two, not an answer
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_SPACES = re.compile(r"\s\s+")  # sklearn's _white_spaces


def _norm(text: str) -> str:
    # Punctuation and spaces only break grams apart; ASCII case carries no meaning here.
    return _NOISE.sub(" ", (text or "").lower()).strip()


@dataclass(frozen=True)
class Hit:
    article_id: int
    title: str
    score: float


class Index:
    # NumPy (and scikit-learn) are imported by the methods, not with this module: the
    # URLconf imports it, and web workers that never search must not carry them.

    def __init__(self, rows: list[dict]) -> None:
        import numpy as np

        self.rows = rows
        self.ids = np.array([r["id"] for r in rows], dtype=np.int64)
        far_past, far_future = date.min.toordinal(), date.max.toordinal()
        self.valid_from = np.array([r["valid_from"].toordinal() if r["valid_from"] else far_past for r in rows])
        self.valid_until = np.array([r["valid_until"].toordinal() if r["valid_until"] else far_future for r in rows])
        if not rows:
            self.vectorizer = None
            return
        heads = [_norm(f"{r['title']} {r['keywords']}") for r in rows]
        bodies = [_norm(f"{r['question']} {r['body']}") for r in rows]
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=1)
        # One pass over the text (fit_transform, then split the rows): analysing each
        # field again with transform() doubled the rebuild an edit costs.
        both = self.vectorizer.fit_transform(heads + bodies)
        n = len(rows)
        # Each field's rows are L2-normalised, so the weighted sum of the two products is
        # the weighted sum of two cosines; folded into one matrix, transposed once, a
        # query is a single sparse product.
        self.vocabulary = self.vectorizer.vocabulary_
        self.idf = self.vectorizer.idf_
        self.weights_t = (HEAD_WEIGHT * both[:n] + (1 - HEAD_WEIGHT) * both[n:]).T.tocsr()

    def query_vector(self, query: str) -> csr_matrix:
        """What ``vectorizer.transform([query])`` returns, computed by hand: for one short
        string sklearn's generic path (validation, a vocabulary pass built for corpora)
        was ~70% of a search. Same analyser as the vectorizer's "char" one (whitespace
        collapsed, 2-3 character grams), sublinear tf, idf, L2 norm; a test holds the
        two equal."""
        import numpy as np
        from scipy.sparse import csr_matrix

        text = _SPACES.sub(" ", query)
        counts: dict[int, int] = {}
        vocabulary = self.vocabulary
        for n in (2, 3):
            for i in range(len(text) - n + 1):
                j = vocabulary.get(text[i : i + n])
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
        if not counts:
            return csr_matrix((1, len(vocabulary)))
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        values = tf * self.idf[cols]
        values /= np.sqrt(values @ values)
        order = np.argsort(cols)
        return csr_matrix((values[order], cols[order], [0, len(cols)]), shape=(1, len(vocabulary)))

    def search(self, text: str, *, limit: int = 3, today: date | None = None) -> list[Hit]:
        import numpy as np

        query = _norm(text)
        if self.vectorizer is None or len(query) < 2:
            return []
        q = self.query_vector(query)
        if not q.nnz:
            return []
        scores = (q @ self.weights_t).toarray()[0]
        day = (today or timezone.localdate()).toordinal()
        scores[(self.valid_from > day) | (self.valid_until < day)] = 0.0
        if len(scores) > limit:  # the few best without sorting them all
            top = np.argpartition(-scores, limit)[:limit]
            order = top[np.lexsort((self.ids[top], -scores[top]))]
        else:
            order = np.lexsort((self.ids, -scores))
        return [
            Hit(int(self.ids[i]), self.rows[i]["title"], round(float(scores[i]), 4))
            for i in order
            if scores[i] >= MIN_SCORE
        ]


_built: dict[str, object] = {"fingerprint": None, "index": None, "saved_here": True, "building": False}
_build_lock = threading.Lock()


def _fingerprint() -> tuple:
    # Any save bumps updated_at (auto_now) and a delete changes the count, so this one
    # cheap aggregate tells whether the index is still the articles' current state.
    return tuple(Article.objects.aggregate(n=Count("id"), last=Max("updated_at")).values())


def _build() -> Index:
    fingerprint = _fingerprint()
    rows = list(
        Article.objects.filter(status=ArticleStatus.PUBLISHED)
        .order_by("pk")
        .values("id", "title", "keywords", "question", "body", "valid_from", "valid_until")
    )
    index = Index(rows)
    _built.update(fingerprint=fingerprint, index=index)
    return index


def _build_in_background() -> None:
    try:
        _build()
    finally:
        _built["building"] = False
        connections.close_all()  # this thread's own database connection
    INDEX.forget()


def _load() -> Index:
    """Called by the ProcessCache at most every few seconds. A save in this process
    rebuilds at once (the editor, and tests, see their change); a change seen from
    another process is rebuilt in a thread while searches go on with the index they
    have: a rebuild at 2,000 articles takes seconds, and an operator typing must not
    wait for it."""
    current = _built["index"]
    if _built["saved_here"] or current is None:
        _built["saved_here"] = False
        return _build()
    if _fingerprint() != _built["fingerprint"]:
        with _build_lock:
            if not _built["building"]:
                _built["building"] = True
                threading.Thread(target=_build_in_background, name="kb-index", daemon=True).start()
    return current


def _saved_here(*_args, **_kwargs) -> None:
    _built["saved_here"] = True


post_save.connect(_saved_here, sender=Article, weak=False, dispatch_uid="knowledge-index-saved")
post_delete.connect(_saved_here, sender=Article, weak=False, dispatch_uid="knowledge-index-deleted")
INDEX = ProcessCache("knowledge-index", _load, senders=[Article], stale_after=5.0)


def reset_index() -> None:
    """Forget the index (tests: each builds its own articles, as grids.locate.reset_cache)."""
    _built.update(fingerprint=None, index=None, saved_here=True)
    INDEX.forget()


def article_search(*, text: str, limit: int = 3, today: date | None = None) -> list[Hit]:
    """Published articles valid on ``today`` that best answer ``text``, best first."""
    return INDEX.get().search(text, limit=limit, today=today)
