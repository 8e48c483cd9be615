"""The outbox relay: wakes the workers when outbox rows commit, so that the process that
commits them (a web request, a task) sends no broker message and the web process loads
no Celery at all (issue 14, target 3).

The rows are the work (DESIGN, "Follow-ups are data"): ``FollowUp`` rows, written in the
transaction of their event, and ``LedgerExport`` rows. One relay runs as a thread in each
Celery worker's main process (started on ``worker_ready``, stopped on shutdown:
hotline/celery.py) and sends one "there is work" message per task name with due rows —
the same message beat's sweep sends; a drain claims rows with ``skip_locked``, so two
relays (two worker hosts) or a relay and the sweep never run a row twice, they at most
start an empty drain.

- PostgreSQL: triggers on both tables ``pg_notify`` the task's name (migration
  workorders 0018, web 0002) in the writing statement itself, so the request gains no
  round trip, and PostgreSQL delivers a notification only when its transaction commits:
  a rolled-back one wakes nobody, and a drain woken by it sees the row. One relay
  listens (the holder of a session advisory lock; the others try to take it over every
  SAFETY seconds, so N worker hosts do not start N drains per commit).
- SQLite (the embedded default): every relay looks for new due rows each
  HOTLINE_OUTBOX_RELAY_POLL_MS (one query per table on the pending rows' index).

Either way, when it starts and every SAFETY seconds the listening relay nudges every
task that still has due rows (rows committed while no relay ran, rows whose backoff has
passed, a message lost by the broker), and beat's ``follow_ups_due`` sweep remains the
last safety net. Nothing depends on the relay's message only.

Coalescing: a drain runs rows until it finds none, so one nudge serves every row that
commits before its drain's last look. A task nudged less than
HOTLINE_OUTBOX_RELAY_WINDOW_MS ago is held instead of nudged again; when the window ends
it is nudged once more only if one of its due rows is still waiting with no drain on it
(a ``skip_locked`` look: rows a running drain holds are its own). Measured at 6 orders/s
with bursts (bench/system_load.py), two thirds of the drains the relay started without
this found nothing to do. The first row after a quiet spell is nudged at once. While a
task's drains are behind (a row that was due at its last nudge still waits: the nudge's
drain is queued behind a burst), its window doubles, up to WINDOW_MAX, so a backlog
does not queue a message per window that each becomes an empty drain once it clears.
"""

from __future__ import annotations

import logging
import math
import os
import select
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)

CHANNEL = "hotline_outbox"  # the triggers' pg_notify channel (migrations)
# Any fixed 64-bit key: the session advisory lock whose holder is the listening relay.
LEADER_LOCK = 0x686F746C696E65  # "hotline"
SAFETY = 5.0  # seconds between the listening relay's polls for due rows (and lock tries)
RETRY = 2.0  # seconds to wait after a database error before connecting again
WINDOW_MAX = 1.0  # seconds: the longest a task's window grows while its drains are behind


def due_work() -> dict[str, tuple]:
    """Task name → a mark of its due pending rows (how many, the highest id, the latest
    available_at), for every task with any: a new row, one put back to pending (a retry,
    follow_up_request) or one whose backoff has passed changes it. Reads the pending
    rows' partial indexes only (cost ∝ backlog, not history)."""
    from web.exports import DRAIN_TASK
    from web.models import ExportState, LedgerExport
    from workorders.models import FollowUp

    now = timezone.now()
    due: dict[str, tuple] = {
        task: (n, top, last)
        for task, n, top, last in FollowUp.objects.filter(state=FollowUp.State.PENDING, available_at__lte=now)
        .order_by()
        .values("task")
        .annotate(n=Count("pk"), top=Max("pk"), last=Max("available_at"))
        .values_list("task", "n", "top", "last")
    }
    exports = LedgerExport.objects.filter(state=ExportState.PENDING).aggregate(n=Count("pk"), top=Max("pk"))
    if exports["n"]:
        due[DRAIN_TASK] = (exports["n"], exports["top"], None)
    return due


def waiting_work(tasks: Iterable[str]) -> dict[str, datetime]:
    """Of ``tasks``, those with a due pending row that no drain holds, each with when
    its oldest such row became due. A drain holds the row it runs
    (``select_for_update``), so ``skip_locked`` passes over rows that are already being
    done; the look's own lock ends with its transaction at once (a drain that skips that
    row meanwhile is why a row found here is always nudged). One look per task on the
    pending rows' partial index. On SQLite, which has no row locks, every due pending
    row counts as waiting."""
    from web.exports import DRAIN_TASK
    from web.models import ExportState, LedgerExport
    from workorders.models import FollowUp

    now = timezone.now()
    waiting: dict[str, datetime] = {}
    with transaction.atomic():
        for task in tasks:
            rows: QuerySet = (
                LedgerExport.objects.filter(state=ExportState.PENDING).order_by("created_at")
                if task == DRAIN_TASK
                else FollowUp.objects.filter(state=FollowUp.State.PENDING, task=task, available_at__lte=now).order_by(
                    "available_at"
                )
            )
            field = "created_at" if task == DRAIN_TASK else "available_at"
            oldest = rows.select_for_update(skip_locked=True).values_list(field, flat=True)[:1]
            for at in oldest:
                waiting[task] = at
    return waiting


def _grew(mark: tuple, before: tuple | None) -> bool:
    """More rows, a newer row or a later available_at than at the last poll (a drain
    that finished rows makes the mark smaller, which needs no new drain)."""
    if before is None:
        return True
    return any(now is not None and (then is None or now > then) for now, then in zip(mark, before, strict=True))


def _send(tasks: list[str]) -> None:
    from hotline.celery import app
    from workorders.outbox import follow_ups_nudge

    # Only names this worker knows as tasks: a stray NOTIFY on the channel sends nothing.
    follow_ups_nudge(tasks=[name for name in tasks if name in app.tasks])


class OutboxRelay:
    """One thread: ``start()``, ``stop()``. ``nudge`` receives the task names to wake."""

    def __init__(
        self,
        nudge: Callable[[list[str]], None] = _send,
        *,
        window: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._nudge = nudge
        # Seconds a nudged task is held (None: HOTLINE_OUTBOX_RELAY_WINDOW_MS).
        self._window = window
        self._clock = clock
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake_r, self._wake_w = -1, -1
        # Per task: the mark of its due rows at the last poll, and when it was last nudged.
        self._seen: dict[str, tuple] = {}
        self._sent_at: dict[str, float] = {}
        # Tasks with rows committed within their window: to look at when it ends.
        self._held: set[str] = set()
        # Per task: its window now (the base, doubled while its drains fall behind), and
        # the wall-clock time of its last nudge (to tell a row left behind from a new one).
        self._span: dict[str, float] = {}
        self._sent_wall: dict[str, datetime] = {}
        self.listening = False  # this relay holds the lock and LISTENs (PostgreSQL)
        self.polls = 0

    # --- life cycle -------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="hotline-outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        os.write(self._wake_w, b"x")
        thread.join(timeout)
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self._thread = None

    # --- what wakes whom --------------------------------------------------------------
    def window(self, task: str | None = None) -> float:
        """Seconds a nudged task is held: the base window, or ``task``'s own while its
        drains fall behind (``release``)."""
        base = self._window if self._window is not None else settings.HOTLINE_OUTBOX_RELAY_WINDOW_MS / 1000
        return self._span.get(task, base) if task is not None else base

    def wake(self, tasks: Iterable[str], *, at_once: bool = False) -> None:
        """Nudge ``tasks`` now, except those nudged within their window (unless
        ``at_once``): those are held until it ends (``release``)."""
        now = self._clock()
        send = []
        for name in set(tasks):
            if at_once or now - self._sent_at.get(name, -math.inf) >= self.window(name):
                send.append(name)
            else:
                self._held.add(name)
        self._send(send, now)

    def _send(self, names: list[str], now: float) -> None:
        if not names:
            return
        wall = timezone.now()
        for name in names:
            self._sent_at[name] = now
            self._sent_wall[name] = wall
            self._held.discard(name)
        self._nudge(sorted(names))

    def release(self) -> list[str]:
        """Held tasks whose window has ended: nudged again if a due row of theirs is still
        waiting with no drain on it (the drain the last nudge started may have run them
        already, or be running them now). The names nudged.

        A waiting row that was already due when the task was last nudged means that
        nudge's drain has not reached it: the drains are behind (queued behind other
        work, or busy with a burst). Another nudge now would mostly queue one more drain
        that finds nothing once the backlog clears, so the task's window doubles (up to
        WINDOW_MAX); a look that finds only rows newer than the last nudge, or none,
        puts it back to the base."""
        if not self._held:
            return []
        now = self._clock()
        ripe = [name for name in self._held if now - self._sent_at.get(name, -math.inf) >= self.window(name)]
        if not ripe:
            return []
        self._held.difference_update(ripe)
        waiting = waiting_work(ripe)
        for name in ripe:
            oldest, nudged = waiting.get(name), self._sent_wall.get(name)
            if oldest is not None and nudged is not None and oldest < nudged:
                self._span[name] = min(self.window(name) * 2, max(WINDOW_MAX, self.window()))
            else:
                self._span.pop(name, None)
        names = sorted(waiting)
        self._send(names, now)
        return names

    def _next_release(self) -> float:
        """When the earliest held task's window ends (clock time; inf if none is held)."""
        if not self._held:
            return math.inf
        return min(self._sent_at.get(name, -math.inf) + self.window(name) for name in self._held)

    def poll(self, *, every_due: bool = False) -> list[str]:
        """Nudge the tasks with due rows that are new since the last poll, or that were
        last nudged SAFETY seconds ago or more (or all of them: ``every_due``); the names."""
        due = due_work()
        now = self._clock()
        names = [
            task
            for task, mark in due.items()
            if every_due or _grew(mark, self._seen.get(task)) or now - self._sent_at.get(task, -math.inf) >= SAFETY
        ]
        self._seen = due
        self.polls += 1
        self.wake(names, at_once=every_due)
        return names

    # --- the thread -------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if connection.vendor == "postgresql":
                    self._listen()
                else:
                    self._poll_loop()
            except Exception:
                logger.warning("Outbox relay: database error; connecting again in %s s", RETRY, exc_info=True)
                self.listening = False
                self._close()
                self._stop.wait(RETRY)
        self._close()

    def _close(self) -> None:
        try:
            connection.close()  # the relay thread's own connection; also ends the lock
        except Exception:  # noqa: BLE001 - a broken connection is gone either way
            logger.debug("Outbox relay: closing a broken connection", exc_info=True)

    def _poll_loop(self) -> None:
        interval = settings.HOTLINE_OUTBOX_RELAY_POLL_MS / 1000
        self.poll(every_due=True)  # rows committed while no relay ran
        while not self._stop.wait(interval):
            self.release()
            self.poll()

    def _take_the_lead(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LEADER_LOCK])
            if not cursor.fetchone()[0]:
                return False
            cursor.execute(f"LISTEN {CHANNEL}")
        self.listening = True
        return True

    def _listen(self) -> None:
        connection.ensure_connection()
        raw = connection.connection
        if self._take_the_lead():
            self.poll(every_due=True)  # rows committed while no relay listened
        next_tick = self._clock() + SAFETY
        while not self._stop.is_set():
            # Notifications that arrived while a query of this loop ran are read already
            # (psycopg2 keeps them in ``notifies``): the socket will not signal them.
            until = 0.0 if raw.notifies else min(next_tick, self._next_release()) - self._clock()
            ready, _, _ = select.select([raw, self._wake_r], [], [], max(0.0, until))
            if self._stop.is_set():
                return
            if raw in ready:
                raw.poll()  # reads the notifications (and notices a dropped connection)
            if raw.notifies:
                names = {n.payload for n in raw.notifies}
                raw.notifies.clear()
                self.wake(names)
            self.release()
            if self._clock() >= next_tick:
                next_tick = self._clock() + SAFETY
                if self.listening:
                    self.poll()
                elif self._take_the_lead():
                    self.poll(every_due=True)


relay = OutboxRelay()
