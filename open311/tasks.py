"""Celery tasks of the open311 app: parse arguments, call a service."""

from __future__ import annotations

from celery import shared_task

from open311.opendata import open_data_export


@shared_task(name="open311.open_data_publish")
def open_data_publish() -> dict:
    """Beat, hourly: make today's open-data snapshot if it does not exist yet (so a
    missed run is caught up within the hour; a day's snapshot is made once)."""
    export = open_data_export()
    return {"day": export.day.isoformat(), "rows": export.rows}
