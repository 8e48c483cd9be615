"""Skip the persistent connection's health check where it buys nothing.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every
request that reuses a connection: on the order intake that was one of six round trips
(issue 14). The check finds connections the server dropped while they sat idle (an idle
timeout, a firewall, a restart overnight). A connection that finished a request less than
``HOTLINE_DB_HEALTH_CHECK_IDLE`` seconds ago is as likely alive as the ``SELECT 1`` would
say; if the database restarted in between, that request fails as any request during the
restart does, and Django closes the broken connection after it (``errors_occurred``), so
the next request reconnects. After a longer pause the check runs as before.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import connections


def _mark_used(**_) -> None:
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            conn.hotline_used_at = now  # type: ignore[attr-defined]  # our own mark on the wrapper


def _skip_recent_check(**_) -> None:
    # Runs after Django's own close_old_connections (connected at import of django.db),
    # which has just asked for a check on the next query (health_check_done = False).
    limit = settings.HOTLINE_DB_HEALTH_CHECK_IDLE
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        used = getattr(conn, "hotline_used_at", None)
        if conn.connection is not None and used is not None and now - used < limit:
            conn.health_check_done = True  # type: ignore[attr-defined]  # Django's, missing from the stubs


def connect() -> None:
    request_started.connect(_skip_recent_check, dispatch_uid="hotline.db_health.skip")
    # Django's close_old_connections also runs at request_finished and may close the
    # connection; a closed one has no connection object and is not marked.
    request_finished.connect(_mark_used, dispatch_uid="hotline.db_health.mark")
