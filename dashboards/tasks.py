"""Celery tasks of the dashboards app: parse arguments, call a service."""

from __future__ import annotations

import logging

from celery import shared_task

from dashboards.rollup import rollup_refresh as rollup_refresh_service

logger = logging.getLogger(__name__)


@shared_task(name="dashboards.rollup_refresh")
def rollup_refresh() -> dict:
    """Beat, every HOTLINE_ROLLUP_INTERVAL seconds: re-roll the days changed since the
    last run and roll the days that have ended (dashboards/rollup.py)."""
    run = rollup_refresh_service()
    logger.info("Roll-up refreshed: %s days in %.2fs, %s orders touched", run.days, run.seconds, run.touched_orders)
    return {"days": run.days, "seconds": run.seconds, "touched_orders": run.touched_orders}
