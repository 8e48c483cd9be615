"""The duplicate search's cost (issue 14): the call's own text is normalized and counted
once per search, not once per candidate, and the candidates are read with the columns
the scoring needs; the scores are the same arithmetic as before, and the orders offered
are whole."""

import math
from collections import Counter
from itertools import product

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rapidfuzz import fuzz

from workorders.demo.data import DESCRIPTIONS, TITLES
from workorders.services import duplicates, work_order_find_duplicates
from workorders.services.duplicates import _STOP_CHARS, _bigrams, _normalize, text_similarity


def _reference_similarity(a: str, b: str, *, ignore: tuple[str, ...] = ()) -> float:
    """text_similarity as it was written before the call's half was computed once."""

    def cosine(ca: Counter, cb: Counter) -> float:
        dot = sum(v * cb.get(k, 0) for k, v in ca.items())
        norm = math.sqrt(sum(v * v for v in ca.values())) * math.sqrt(sum(v * v for v in cb.values()))
        return dot / norm if norm else 0.0

    na, nb = _normalize(a), _normalize(b)
    for word in ignore:
        if len(word) >= 2:
            na, nb = na.replace(word, ""), nb.replace(word, "")
    if not na or not nb:
        return 0.0
    uni = cosine(Counter(c for c in na if c not in _STOP_CHARS), Counter(c for c in nb if c not in _STOP_CHARS))
    bi = cosine(_bigrams(na), _bigrams(nb))
    partial = fuzz.partial_ratio(na, nb) / 100
    return round(0.45 * uni + 0.45 * bi + 0.1 * partial, 3)


def test_similarity_is_the_same_arithmetic_as_comparing_the_texts_afresh():
    titles = [t for group in TITLES.values() for t in group]
    texts = [f"幸福里小区{t}，{d}" for t, d in zip(titles, DESCRIPTIONS * len(titles), strict=False)]
    texts += ["", "a", "的了"]
    ignores = [(), ("幸福里小区",), ("幸福里", "小区"), ("x",)]
    compared = 0
    for a, b, ignore in product(texts[:25], texts[10:40], ignores):
        assert text_similarity(a, b, ignore=ignore) == _reference_similarity(a, b, ignore=ignore), (a, b, ignore)
        compared += 1
    assert compared > 1000


@pytest.mark.django_db
def test_a_search_counts_the_call_once_and_reads_the_candidates_light(district, log_call, monkeypatch):
    call = "幸福里小区东门每天傍晚有人摆摊卖菜，堵住了出入口"
    orders = [log_call(description=f"{call}，第{i}次反映", address="幸福里小区") for i in range(12)]
    normalized = []
    real = duplicates._normalize

    def counting(text):
        normalized.append(text)
        return real(text)

    monkeypatch.setattr(duplicates, "_normalize", counting)
    with CaptureQueriesContext(connection) as ctx:
        matches = work_order_find_duplicates(text=call, community=district.community_a, address="幸福里小区", limit=5)
    assert normalized.count(call) == 1  # not once per candidate (12 here, up to 300)
    assert len(matches) == 5 and {m.order.pk for m in matches} <= {o.pk for o in orders}
    candidates = next(q["sql"] for q in ctx.captured_queries if "LIMIT 300" in q["sql"])
    assert "workorders_category" not in candidates and '"workorders_workorder"."reply"' not in candidates
    # The orders offered are whole, as before: no deferred column, the category joined.
    with CaptureQueriesContext(connection) as after:
        for m in matches:
            assert m.order.get_deferred_fields() == set()
            assert m.order.category.name and m.order.reply == m.order.reply
    assert len(after) == 0
