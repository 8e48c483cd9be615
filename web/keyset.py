"""Keyset paging for the work queues: the page after a row is "rows that sort after it",
never OFFSET, so a page costs the same at row 10 as at row 5,000 and a row acted on (or
arriving) while someone reads does not shift the rows they have not seen yet."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet


class BadCursor(ValueError):
    """A cursor that did not come from this page (edited, truncated)."""


def _value(obj, name: str):
    return getattr(obj, name)


def _encode(values: list) -> str:
    tagged = [{"d": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(tagged, separators=(",", ":")).encode()).decode().rstrip("=")


def cursor_decode(cursor: str, size: int) -> list:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values = [datetime.fromisoformat(v["d"]) if isinstance(v, dict) else v for v in raw]
    except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
        raise BadCursor(cursor) from exc
    if len(values) != size or not all(isinstance(v, (str, int, datetime)) for v in values):
        raise BadCursor(cursor)
    return values


def cursor_for(obj, order: tuple[str, ...]) -> str:
    return _encode([_value(obj, f.lstrip("-")) for f in order])


def rows_after(qs: QuerySet, order: tuple[str, ...], values: list) -> QuerySet:
    """``qs`` (already ordered by ``order``, whose last field is unique) from just after
    the row whose sort values are ``values``. The fields must not be NULL (annotate a
    Coalesce for nullable ones)."""
    clauses = []
    for i, field in enumerate(order):
        name = field.lstrip("-")
        q = Q(**{f"{name}__{'lt' if field.startswith('-') else 'gt'}": values[i]})
        for j in range(i):
            q &= Q(**{order[j].lstrip("-"): values[j]})
        clauses.append(q)
    return qs.filter(reduce(or_, clauses))


@dataclass
class Page:
    rows: list
    next_cursor: str | None


def keyset_page(qs: QuerySet, *, order: tuple[str, ...], after: str | None, size: int) -> Page:
    """One page of ``qs`` in ``order`` after the cursor ``after`` (None: the first page)."""
    qs = qs.order_by(*order)
    if after:
        qs = rows_after(qs, order, cursor_decode(after, len(order)))
    # Two steps: the database sorts narrow rows (the ids) to find the page, then reads the
    # page's full rows and their joins by id. Sorting the whole queue's wide joined rows
    # to keep 51 was most of a queue page's query time at 5,000 waiting.
    ids = list(qs.values_list("pk", flat=True)[: size + 1])
    by_id = {o.pk: o for o in qs.filter(pk__in=ids)}
    rows = [by_id[pk] for pk in ids if pk in by_id]  # one that left the queue in between is left out
    more = len(ids) > size
    rows = rows[:size]
    return Page(rows=rows, next_cursor=cursor_for(rows[-1], order) if more and rows else None)
