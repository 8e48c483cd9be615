"""Human-readable order numbers: local date + a six-digit per-day sequence.

PostgreSQL: every number is one ``nextval`` of a sequence, which takes no lock that
lasts to commit, so concurrent creators never queue behind each other's transactions
(holding a counter row's lock until commit capped intake at one creation per commit
flush). Each day keeps the first value drawn that day as its ``base``; the order's
number within the day is ``value - base + 1``. Values are unique, so numbers are unique
and rise in the order they were issued; a creation that rolls back leaves a gap (no
number is ever issued twice, and services validate before they create, so rollbacks
are rare).

SQLite (the embedded default, whose writers are serialised anyway): one
upsert-with-RETURNING on the day's row, held until commit, which gives no gaps.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection
from django.utils import timezone

from workorders.models import OrderCounter

SEQUENCE = "workorders_order_number_seq"
_TABLE = OrderCounter._meta.db_table

_UPSERT_SQL = (
    f"INSERT INTO {_TABLE} (day, last) VALUES (%s, 1) "
    f"ON CONFLICT (day) DO UPDATE SET last = {_TABLE}.last + 1 RETURNING last"
)

# Bases already committed, by day (a committed base never changes).
_bases: dict[date, int] = {}


def _format(day: date, n: int) -> str:
    return f"{day:%Y%m%d}{n:06d}"


def _base(cursor, day: date, value: int) -> int:
    """The day's base; the first creator of the day sets it to its own value."""
    if day in _bases:
        return _bases[day]
    cursor.execute(f"SELECT base FROM {_TABLE} WHERE day = %s", [day])
    row = cursor.fetchone()
    if row is None:
        # A concurrent first creator makes this wait for its commit or rollback; then
        # either our row goes in or theirs is there to read.
        cursor.execute(
            f"INSERT INTO {_TABLE} (day, last, base) VALUES (%s, 0, %s) ON CONFLICT (day) DO NOTHING RETURNING base",
            [day, value],
        )
        mine = cursor.fetchone()
        if mine is not None:
            return mine[0]  # not cached: it is ours until our transaction commits
        cursor.execute(f"SELECT base FROM {_TABLE} WHERE day = %s", [day])
        row = cursor.fetchone()
    if row[0] is None:
        # A day counted before this scheme (by ``last``): continue after its last number.
        cursor.execute(
            f"UPDATE {_TABLE} SET base = %s - last WHERE day = %s AND base IS NULL RETURNING base", [value, day]
        )
        updated = cursor.fetchone()
        if updated is not None:
            return updated[0]
        cursor.execute(f"SELECT base FROM {_TABLE} WHERE day = %s", [day])
        row = cursor.fetchone()
    if len(_bases) > 8:
        _bases.clear()
    _bases[day] = row[0]
    return row[0]


def issue_number(now: datetime) -> str:
    day = timezone.localtime(now).date()
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(_UPSERT_SQL, [day])
            return _format(day, cursor.fetchone()[0])
        cursor.execute("SELECT nextval(%s)", [SEQUENCE])
        (value,) = cursor.fetchone()
        base = _base(cursor, day, value)
        if value < base and day in _bases:  # a cache from before a database restore
            del _bases[day]
            base = _base(cursor, day, value)
        while value < base:  # drawn before the day's first creator set the base
            cursor.execute("SELECT nextval(%s)", [SEQUENCE])
            (value,) = cursor.fetchone()
        return _format(day, value - base + 1)
