from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

_seq = itertools.count(1)


@pytest.fixture
def copies():
    """Copies of a logged order at given times (the same caller, text and place unless
    overridden), made in bulk: a baseline of weeks of calls without routing each one."""
    from workorders.models import WorkOrder

    def _copies(order, times, **overrides):
        rows = []
        for when in times:
            o = WorkOrder.objects.get(pk=order.pk)
            o.pk = None
            o.number = f"T{next(_seq):09d}"
            o.created_at = when
            for k, v in overrides.items():
                setattr(o, k, v)
            rows.append(o)
        return WorkOrder.objects.bulk_create(rows)

    return _copies


@pytest.fixture
def monday():
    """Monday of last week at 10:00 local: a whole week in the past."""
    today = timezone.localdate()
    day = today - timedelta(days=today.weekday() + 7)
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=10)
