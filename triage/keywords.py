"""The cold-start suggester: category keywords, weighted by how specific they are.

The first version counted substring hits, so a generic word listed for one category
(门口, 安全, 学校, 烟, 工地) pulled every text that mentioned it there. Here a keyword's
weight falls with the number of categories whose name or keywords contain it (烟 is in
油烟, 排烟, 烟尘, 吸烟 … so it weighs little) and rises with its length; a category's
name and all of its keywords take part. Overlapping hits count once (the longest), so
"夜间施工" does not also score "施工". Pure Python: it runs in processes without sklearn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The share of the mass a keyword hit must reach before it is offered at all.
MIN_SHARE = 0.05
# Words that say where or how much, not what: listed for one category in the seeds, they
# turn up in texts about everything (门口 of a school, a shop, a car park). Measured on
# the examples: each of these made the wrong category win. They still count,
# at a quarter of their weight, so a text with nothing better keeps a suggestion.
GENERIC = frozenset(
    {"门口", "安全", "学校", "烟", "工地", "小区", "楼下", "附近", "问题", "服务", "设施", "收费", "机构"}
)
GENERIC_FACTOR = 0.25
NAME_FACTOR = 1.5  # the category's own name is the most specific thing it has
# Homophones and slips people type on a phone's pinyin keyboard, put right before
# matching (燥音 still means 噪音). Only pairs whose wrong form is not a word of its own
# in these texts.
SLIPS = {
    "燥音": "噪音",
    "躁音": "噪音",
    "景盖": "井盖",
    "井该": "井盖",
    "暖器": "暖气",
    "路等": "路灯",
    "拉圾": "垃圾",
    "电题": "电梯",
    "物页": "物业",
    "公资": "工资",
    "听车": "停车",
    "违停车": "违停",
    "油湮": "油烟",
    "扬成": "扬尘",
}
# Below any keyword hit, a text still shares character pairs with a category's words
# (渗 水 → 渗水): those shares rank at this fraction of a keyword's weight, so a text
# gets a (weak) suggestion rather than none.
PAIR_FACTOR = 0.2


@dataclass(frozen=True)
class Term:
    text: str
    weight: float


def build_terms(categories: list[tuple[str, str, str]]) -> dict[str, list[Term]]:
    """(code, name, keywords) rows → code → weighted terms."""
    raw: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for code, name, keywords in categories:
        words = {w for w in (keywords or "").split() if w}
        words.add(name)
        raw[code] = words
        names[code] = name
    n = max(len(raw), 1)
    terms: dict[str, list[Term]] = {}
    for code, words in raw.items():
        out = []
        for w in words:
            # df: categories where w is a keyword or a part of one (烟 ⊂ 油烟).
            df = sum(1 for other in raw.values() if any(w in v for v in other))
            idf = math.log(1 + n / df)
            weight = idf * min(len(w), 4)
            if w in GENERIC:
                weight *= GENERIC_FACTOR
            if w == names[code]:
                weight *= NAME_FACTOR
            out.append(Term(w, weight))
        terms[code] = sorted(out, key=lambda t: -len(t.text))
    return terms


def score(text: str, terms: dict[str, list[Term]]) -> dict[str, float]:
    """Category code → score for the text (only categories with a hit)."""
    scores: dict[str, float] = {}
    for code, cat_terms in terms.items():
        taken: list[tuple[int, int]] = []
        total = 0.0
        for term in cat_terms:  # longest first: a longer hit shadows its parts
            start = text.find(term.text)
            while start != -1:
                end = start + len(term.text)
                if not any(s < end and start < e for s, e in taken):
                    taken.append((start, end))
                    total += term.weight
                    break
                start = text.find(term.text, start + 1)
        if total:
            scores[code] = total
    return scores


def normalise(text: str) -> str:
    for wrong, right in SLIPS.items():
        if wrong in text:
            text = text.replace(wrong, right)
    return text


def _pairs(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1) if not text[i : i + 2].isspace()}


def pair_score(text: str, terms: dict[str, list[Term]]) -> dict[str, float]:
    """Categories sharing two-character pieces with the text, weighted by how few
    categories each piece belongs to (the fallback when no whole keyword matched)."""
    pieces = _pairs(text)
    if not pieces:
        return {}
    owners: dict[str, set[str]] = {}
    for code, cat_terms in terms.items():
        for term in cat_terms:
            for p in _pairs(term.text):
                owners.setdefault(p, set()).add(code)
    n = max(len(terms), 1)
    scores: dict[str, float] = {}
    for p in pieces & owners.keys():
        weight = math.log(1 + n / len(owners[p])) * PAIR_FACTOR
        for code in owners[p]:
            scores[code] = scores.get(code, 0.0) + weight
    return scores


def ranked(text: str, terms: dict[str, list[Term]], limit: int) -> list[tuple[str, float]]:
    """(code, share of the hit mass) best first; shares sum to at most 1."""
    text = normalise(text or "")
    scores = score(text, terms) or pair_score(text, terms)
    mass = sum(scores.values())
    if not mass:
        return []
    out = sorted(((code, s / mass) for code, s in scores.items()), key=lambda p: -p[1])
    return [(code, round(share, 3)) for code, share in out if share >= MIN_SHARE][:limit]
