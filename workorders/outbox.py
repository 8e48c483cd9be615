"""The follow-up outbox: work that must happen after an event, kept as rows.

``follow_ups_record`` writes one ``FollowUp`` row per (event, task) in the transaction
that writes the event, so the work exists exactly when the event does. The process that
commits sends nothing: the relay in each worker's main process (hotline/outbox_relay.py)
learns of the committed row (a PostgreSQL NOTIFY from a trigger, delivered only on
commit; a short poll on SQLite) and sends one lightweight nudge per task ("there is work
for dispatch.route_order"). A nudge carries no ids, so losing it loses nothing: the
relay's slow poll and ``follow_ups_due`` (beat) nudge again for rows nobody claimed.
``follow_ups_drain`` (the worker) claims a row with ``skip_locked``, runs the task's
handler and marks the row done in that same transaction: a worker killed mid-run rolls
everything back and the row is pending again, so each follow-up takes effect exactly
once.

This module is part of the core: it knows tasks only by name and is handed the
handlers by the dispatch app's tasks, so it never imports an app above it.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from hotline.logging import bind_order, request_id_var
from hotline.rows import insert_values
from workorders.models import FollowUp

logger = logging.getLogger(__name__)

Handler = Callable[[int, int], None]  # (order_id, event_id)

_suppressed = contextvars.ContextVar("hotline_follow_ups_suppressed", default=False)


@contextlib.contextmanager
def suppress_follow_ups():
    """Record history without side effects: within this block transitions record no
    follow-ups (used by the demo seed and imports of past orders, whose routing and
    notifications happened long ago)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def follow_ups_record(*, tasks: Iterable[str], order_id: int, event_id: int, now: datetime) -> None:
    """Write the event's follow-up rows in the caller's transaction (one INSERT) and
    nudge their workers once after commit. Must run inside the event's transaction."""
    tasks = tuple(tasks)
    if not tasks or _suppressed.get():
        return
    rid = _request_id()
    row = {"event_id": event_id, "order_id": order_id, "available_at": now, "created_at": now, "request_id": rid}
    # Rows, not instances: nothing reads them back here (and, as bulk_create with
    # ignore_conflicts, no save signals are sent).
    insert_values(
        FollowUp,
        [{**row, "task": task} for task in tasks],
        ignore_conflicts=True,  # the (event, task) key: recording twice is harmless
    )
    nudge_on_commit(tasks)


def follow_up_request(*, task: str, order_id: int, event_id: int, now: datetime) -> None:
    """Ask for ``task`` on the order in the caller's transaction, for a handler that works
    off the order's current state (every photo still waiting) rather than off one event.
    The row is keyed by (event, task) like any other; an existing row is put back to
    pending, so work added after (or during) its run is never left behind. Not subject to
    suppress_follow_ups: this is the order's own data, not a side effect."""
    rid = _request_id()
    FollowUp.objects.bulk_create(
        [FollowUp(event_id=event_id, order_id=order_id, task=task, available_at=now, created_at=now, request_id=rid)],
        ignore_conflicts=True,
    )
    # Whatever its state: a row a worker is running right now is still "pending" in the
    # committed version, and that run cannot see this uncommitted work. The UPDATE waits
    # for the worker's row lock (PostgreSQL re-reads the row after its commit) and sets
    # the row pending again after the worker's "done", so a second run picks the work up.
    FollowUp.objects.filter(event_id=event_id, task=task).update(
        state=FollowUp.State.PENDING, available_at=now, attempts=0, last_error="", request_id=rid
    )
    nudge_on_commit((task,))


def _request_id() -> str:
    """The id of the request (or task) writing the row, for the worker's log lines."""
    rid = request_id_var.get()
    return "" if rid == "-" else rid


# Names to nudge after the current transaction commits, per thread, in eager mode only.
_pending = threading.local()


def nudge_on_commit(tasks: tuple[str, ...]) -> None:
    """After this transaction commits, the workers of ``tasks`` are to look for work.
    Nothing to send in the running app: the committed rows are what wakes the workers
    (hotline/outbox_relay.py: a PostgreSQL trigger NOTIFYs the relay in each worker's
    main process, or the relay's poll on SQLite finds them), so the web process sends no
    broker message and loads no Celery. With CELERY_TASK_ALWAYS_EAGER (the test suite,
    scripts without a worker) there is no worker and no relay: the drains run here after
    commit instead."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        return
    names = getattr(_pending, "names", None)
    if names is None:
        names = _pending.names = set()
    names.update(tasks)
    # Every transition registers the callback, the first one to run drains them all and
    # the rest find nothing; a rolled-back transaction's names ride along with the next
    # commit's, which costs an empty drain at worst.
    transaction.on_commit(_flush_nudges)


def _flush_nudges() -> None:
    names = getattr(_pending, "names", None)
    if not names:
        return
    _pending.names = set()
    follow_ups_nudge(tasks=sorted(names))


def follow_ups_nudge(*, tasks: Iterable[str]) -> None:
    """Tell the workers of these tasks that there is work (the relay, beat's sweep; the
    drains themselves in eager mode). Never raises: a broker that is down must not fail
    the caller, and the sweeper nudges again."""
    from hotline.celery import app

    for name in tasks:
        try:
            # retry=False: a broker that is down answers at once instead of holding the
            # request through kombu's publish retries; the sweeper is the retry.
            app.signature(name).apply_async(retry=False)
        except Exception:  # noqa: BLE001 - any broker failure; the rows are safe in the database
            logger.warning("Could not nudge %s; beat's follow-up sweep will", name, exc_info=True)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed ones: base, 2×, 4× … capped."""
    base = settings.HOTLINE_OUTBOX_BACKOFF
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), settings.HOTLINE_OUTBOX_BACKOFF_MAX))


@dataclass
class DrainResult:
    done: int = 0
    retried: int = 0
    failed: int = 0
    more: bool = False  # stopped at the limit with rows possibly left


def _claim_next(task: str, now: datetime) -> FollowUp | None:
    # skip_locked: rows another worker is running are invisible here, so two workers
    # drain side by side and never run one row twice. (SQLite has no row locks; there
    # every transaction BEGINs IMMEDIATE, so a second drain waits for this one's commit
    # and then finds the row done.)
    # The order's number comes along (a join that locks nothing: of=self) for the log
    # lines of the row's work, which would otherwise look it up.
    return (
        FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(state=FollowUp.State.PENDING, task=task, available_at__lte=now)
        .annotate(order_number=F("order__number"))
        .order_by("available_at", "pk")
        .first()
    )


def _run_row(row: FollowUp, task: str, handler: Handler, now: datetime, result: DrainResult) -> None:
    """One claimed row: its handler in a savepoint, then done, a retry or failed."""
    started = time.monotonic()
    try:
        with transaction.atomic():  # a failing handler leaves nothing behind
            handler(row.order_id, row.event_id)
    except Exception as exc:  # noqa: BLE001 - any handler failure is recorded on the row
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if row.attempts >= settings.HOTLINE_OUTBOX_MAX_ATTEMPTS:
            row.state = FollowUp.State.FAILED
            result.failed += 1
            logger.error("Follow-up %s of event %s failed for good: %s", task, row.event_id, row.last_error)
        else:
            row.available_at = now + backoff(row.attempts)
            result.retried += 1
            logger.warning(
                "Follow-up %s of event %s failed (attempt %s), retry at %s: %s",
                task,
                row.event_id,
                row.attempts,
                row.available_at,
                row.last_error,
            )
        row.save(update_fields=["attempts", "last_error", "state", "available_at"])
    else:
        row.state, row.done_at = FollowUp.State.DONE, timezone.now()
        row.save(update_fields=["attempts", "state", "done_at"])
        result.done += 1
        # One line per follow-up, under the request that asked for it: what an operator
        # greps for when a resident says the SMS never came.
        logger.info("Follow-up %s of event %s done in %.0f ms", task, row.event_id, (time.monotonic() - started) * 1000)


def follow_ups_drain(*, task: str, handler: Handler, limit: int = 100) -> DrainResult:
    """Run pending follow-ups of ``task`` one by one, each in its own transaction that
    holds the row's lock while ``handler(order_id, event_id)`` runs and then marks it
    done. A handler that raises is rolled back (savepoint) and the row retried after a
    backoff, or marked failed after HOTLINE_OUTBOX_MAX_ATTEMPTS tries. Handlers must be
    idempotent all the same: a row marked failed and retried from the admin runs again."""
    result = DrainResult()
    for _ in range(limit):
        now = timezone.now()
        with transaction.atomic():
            row = _claim_next(task, now)
            if row is None:
                return result
            row.attempts += 1
            # The row's work is logged under the request that asked for it, not under the
            # nudge's (which may carry several requests' rows, or none: the sweeper's).
            token = request_id_var.set(row.request_id) if row.request_id else None
            bind_order(row.order_number, order_id=row.order_id)  # type: ignore[attr-defined]  # the claim's annotation
            try:
                _run_row(row, task, handler, now, result)
            finally:
                if token is not None:
                    request_id_var.reset(token)
    result.more = True
    return result


def follow_ups_due(*, grace: timedelta | None = None, now: datetime | None = None) -> list[str]:
    """Tasks with pending rows nobody claimed within ``grace`` (their nudge was lost, or
    their backoff has passed): what the sweeper nudges."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.HOTLINE_OUTBOX_GRACE) if grace is None else grace
    return sorted(
        set(
            FollowUp.objects.filter(state=FollowUp.State.PENDING, available_at__lt=now - grace)
            .order_by()
            .values_list("task", flat=True)
            .distinct()
        )
    )


def follow_ups_purge(*, older_than: timedelta, now: datetime | None = None, limit: int = 5000) -> int:
    """Delete done rows older than ``older_than`` (a batch at a time); failed and pending
    rows stay until someone deals with them."""
    now = now or timezone.now()
    ids = list(
        FollowUp.objects.filter(state=FollowUp.State.DONE, done_at__lt=now - older_than).values_list("pk", flat=True)[
            :limit
        ]
    )
    deleted, _ = FollowUp.objects.filter(pk__in=ids).delete()
    return deleted


def follow_ups_retry(*, ids: Iterable[int], now: datetime | None = None) -> int:
    """Put failed rows back in the queue (the admin's action); the relay wakes their
    workers once this commits."""
    now = now or timezone.now()
    rows = FollowUp.objects.filter(Q(pk__in=list(ids)), state=FollowUp.State.FAILED)
    tasks = tuple(sorted(set(rows.values_list("task", flat=True))))
    count = rows.update(state=FollowUp.State.PENDING, available_at=now, attempts=0)
    if count:
        nudge_on_commit(tasks)
    return count
