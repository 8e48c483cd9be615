"""Celery tasks of the web app: parse arguments, call a service."""

from __future__ import annotations

import logging

from celery import shared_task

from web import exports

logger = logging.getLogger(__name__)


@shared_task(name=exports.DRAIN_TASK)
def ledger_exports_drain() -> int:
    """Nudged after an export is asked for (and by the sweep): write the pending ledger
    exports (web/exports.py). The message carries no id; the rows are the work."""
    return exports.ledger_exports_drain()


@shared_task(name="web.ledger_exports_sweep")
def ledger_exports_sweep() -> dict:
    """Beat: exports whose message was lost or whose worker died are written after all;
    old ones are deleted."""
    result = exports.ledger_exports_sweep()
    if any(result.values()):
        logger.info("Ledger exports swept: %s", result)
    return result
