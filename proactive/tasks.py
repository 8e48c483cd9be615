"""Celery tasks of the proactive app: parse arguments, call a service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from proactive.detection import signals_detect, week_start


@shared_task(name="proactive.detect_signals")
def detect_signals() -> dict:
    """Beat, hourly: this week's signals so far, and last week's (its Sunday evening
    calls arrive after the last run of that week)."""
    this_week = week_start(timezone.localdate())
    last_week = this_week - timedelta(days=7)
    return {str(w): signals_detect(week=w) for w in (last_week, this_week)}
