"""Reads that may be a little stale go to the streaming replica; everything else to the
primary (DATABASE_REPLICA_URL; see README "Read replica").

What goes to the replica is opted in, never guessed: a view that only shows figures,
ledgers or exports is wrapped in ``replica_reads`` (a decorator or a context manager),
and inside it the router answers ``replica`` for reads. Writes always go to the primary,
and so does every read inside a transaction on the primary (a service that locks and
then re-reads must see its own writes), and every read outside the opted-in views.

The lag guard: before sending reads to the replica the router asks it how far behind it
is — 0 when it has replayed everything the primary has written (``pg_last_wal_replay_lsn``
against the primary's ``pg_current_wal_lsn``), else the age of the last transaction it
replayed (``pg_last_xact_replay_timestamp``). Behind by more than HOTLINE_REPLICA_MAX_LAG
seconds, or unreachable, and the reads go to the primary. The answer is kept for
HOTLINE_REPLICA_CHECK_SECONDS per process so the check costs two tiny queries a few
times a minute, not two per request.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import threading
import time
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"

_wanted: contextvars.ContextVar[bool] = contextvars.ContextVar("hotline_replica_reads", default=False)
_lock = threading.Lock()
_checked: tuple[float, bool, float | None] = (float("-inf"), False, None)  # (monotonic, usable, lag)


def replica_lag() -> float | None:
    """Seconds the replica is behind the primary; None when it cannot be asked."""
    try:
        with connections[PRIMARY].cursor() as cur:
            cur.execute("SELECT pg_current_wal_lsn()")
            (primary_lsn,) = cur.fetchone()
        with connections[REPLICA].cursor() as cur:
            cur.execute(
                "SELECT CASE WHEN pg_last_wal_replay_lsn() >= %s::pg_lsn THEN 0"
                " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9) END",
                [primary_lsn],
            )
            (lag,) = cur.fetchone()
        return float(lag)
    except DatabaseError as exc:
        logger.warning("Read replica unavailable, reading from the primary: %s", exc)
        # A broken connection must not be reused by the next check.
        connections[REPLICA].close()
        return None


def replica_usable() -> bool:
    """Whether reads may go to the replica now (the lag guard, cached briefly)."""
    global _checked
    checked_at, usable, _lag = _checked
    now = time.monotonic()
    if now - checked_at < settings.HOTLINE_REPLICA_CHECK_SECONDS:
        return usable
    with _lock:
        if _checked[0] != checked_at:  # another thread checked meanwhile
            return _checked[1]
        lag = replica_lag()
        usable = lag is not None and lag <= settings.HOTLINE_REPLICA_MAX_LAG
        if lag is not None and not usable:
            logger.warning(
                "Read replica %.1f s behind (limit %s s), reading from the primary",
                lag,
                settings.HOTLINE_REPLICA_MAX_LAG,
            )
        _checked = (time.monotonic(), usable, lag)
    return usable


@contextlib.contextmanager
def reading_from_replica() -> Iterator[None]:
    token = _wanted.set(True)
    try:
        yield
    finally:
        _wanted.reset(token)


def replica_reads(view):
    """Decorator: the view's reads may come from the replica (figures, ledgers, exports)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with reading_from_replica():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not _wanted.get() or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA if replica_usable() else PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: an object read from one may point at one
        # read from the other.
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA} or None

    def allow_migrate(self, db, app_label, **hints):
        return False if db == REPLICA else None
