"""Ledger (台账) exports written by a worker (issue 14).

The ledger behind a month's volume is ~81,000 orders: written in the request it took
longer than gunicorn's 30 s timeout, and even one day's 2,600 rows held a web worker for
1–3 s. So a ledger of more than INLINE_ROWS orders is only asked for in the request (a
row holding the list's query string) and written by a Celery worker; the asker is sent
to a page that shows it ready for download. Small ledgers are still answered at once.

Durable like the follow-ups (DESIGN, "Follow-ups are data"): the row is the job, and the
Celery message (sent by the relay in a worker, hotline/outbox_relay.py, once the row
commits: the web sends none) only says that there is one. A lost message, or a worker killed while
writing, leaves the row pending or running: the sweep (beat) nudges the workers again
for rows pending longer than GRACE, puts back rows running longer than STALE (up to
MAX_ATTEMPTS tries, then failed), and deletes exports KEEP_HOURS old.

Privacy: the file is the inline ledger (web/ledger.py: masked for everyone), read by
the worker with the asker's rights as they are when it runs; only the asker may open
the export's page or download it (anyone else: 404, like an order outside one's scope);
it is deleted KEEP_HOURS after it was asked for.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import Http404, QueryDict
from django.utils import timezone, translation

from web.models import ExportState, LedgerExport
from workorders.outbox import follow_ups_nudge, nudge_on_commit

logger = logging.getLogger(__name__)

DRAIN_TASK = "web.ledger_exports_drain"
# Up to here the file is the answer to the click: ~0.2 ms of CPU a row (XlsxWriter), so
# 300 rows are ~70 ms; a day of the district (~2,700) is 0.75 s, a month 80,000.
INLINE_ROWS = 300
GRACE = timedelta(seconds=30)
STALE = timedelta(minutes=10)
MAX_ATTEMPTS = 3
KEEP_HOURS = 24


def ledger_export_request(*, owner: AbstractBaseUser, query: str, language: str) -> LedgerExport:
    """Ask for the ledger that ``query`` (the order list's query string) describes, to be
    written by a worker; the relay wakes the workers once the row commits. The same ledger asked for
    again while it is still being written (a second click) is the same export."""
    query, language = query[:2000], language[:10]
    waiting = LedgerExport.objects.filter(
        owner=owner, query=query, language=language, state__in=[ExportState.PENDING, ExportState.RUNNING]
    ).defer("content")
    existing = waiting.order_by("-created_at").first()
    if existing is not None:
        return existing
    export = LedgerExport.objects.create(owner=owner, query=query, language=language)
    nudge_on_commit((DRAIN_TASK,))  # the committed row wakes the workers (hotline/outbox_relay.py)
    return export


def ledger_exports_of(user: AbstractBaseUser):
    """The user's own exports (nobody else's), without their files."""
    return LedgerExport.objects.filter(owner=user).defer("content")


def _claim(now: datetime, *, skip: set[int]) -> LedgerExport | None:
    with transaction.atomic():
        export = (
            LedgerExport.objects.select_for_update(skip_locked=True)
            .filter(state=ExportState.PENDING)
            .exclude(pk__in=skip)
            .select_related("owner")
            .order_by("created_at")
            .first()
        )
        if export is None:
            return None
        export.state = ExportState.RUNNING
        export.started_at = now
        export.attempts += 1
        export.save(update_fields=["state", "started_at", "attempts"])
    return export


def ledger_export_write(*, export: LedgerExport) -> None:
    """Write ``export``'s file: the ledger its query asks for, as its owner may read it,
    in the owner's language. An owner who may no longer read such a ledger gets none."""
    from hotline.db_router import reading_from_replica
    from web.ledger import ledger_file
    from web.views.dashboard import ledger_asked

    with translation.override(export.language or None), reading_from_replica():
        try:
            qs, filename, title = ledger_asked(export.owner, QueryDict(export.query))
        except Http404:
            export.state, export.error = ExportState.FAILED, "no longer allowed"
            export.finished_at = timezone.now()
            export.save(update_fields=["state", "error", "finished_at"])
            return
        content, rows = ledger_file(qs, title)
    export.content, export.rows, export.filename = content, rows, filename
    export.state, export.finished_at = ExportState.READY, timezone.now()
    export.save(update_fields=["content", "rows", "filename", "state", "finished_at"])


def ledger_exports_drain(*, limit: int = 10) -> int:
    """Write pending exports, oldest first, each claimed by one worker (skip_locked);
    the number written."""
    done, failed = 0, set()
    for _ in range(limit):
        export = _claim(timezone.now(), skip=failed)
        if export is None:
            break
        try:
            ledger_export_write(export=export)
        except Exception:
            logger.exception("Ledger export %s failed (try %s)", export.pk, export.attempts)
            # Tried again after the sweep's grace, not in this drain, up to MAX_ATTEMPTS.
            failed.add(export.pk)
            state = ExportState.FAILED if export.attempts >= MAX_ATTEMPTS else ExportState.PENDING
            LedgerExport.objects.filter(pk=export.pk).update(state=state, error="write failed")
            continue
        done += 1
    return done


def ledger_exports_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Beat: put back exports stuck running (a killed worker), fail those out of tries,
    nudge the workers when any waits longer than GRACE, delete exports KEEP_HOURS old."""
    now = now or timezone.now()
    stuck = LedgerExport.objects.filter(state=ExportState.RUNNING, started_at__lt=now - STALE)
    failed = stuck.filter(attempts__gte=MAX_ATTEMPTS).update(state=ExportState.FAILED, error="worker lost")
    requeued = stuck.update(state=ExportState.PENDING)
    waiting = (
        requeued > 0 or LedgerExport.objects.filter(state=ExportState.PENDING, created_at__lt=now - GRACE).exists()
    )
    if waiting:
        follow_ups_nudge(tasks=[DRAIN_TASK])
    deleted, _ = LedgerExport.objects.filter(created_at__lt=now - timedelta(hours=KEEP_HOURS)).delete()
    return {"requeued": requeued, "failed": failed, "nudged": int(waiting), "deleted": deleted}
