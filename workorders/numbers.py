"""Human-readable order numbers: local date + a six-digit per-day sequence."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from workorders.models import OrderCounter


def issue_number(now: datetime) -> str:
    """Take the next number for now's local date.

    The UPDATE takes the day row's lock until the surrounding transaction ends, so two
    creators can never read the same value; the insert-if-missing is idempotent
    (ignore_conflicts) so the first order of a day cannot race into a duplicate row.
    """
    day = timezone.localtime(now).date()
    with transaction.atomic():
        if not OrderCounter.objects.filter(day=day).update(last=F("last") + 1):
            OrderCounter.objects.bulk_create([OrderCounter(day=day, last=0)], ignore_conflicts=True)
            OrderCounter.objects.filter(day=day).update(last=F("last") + 1)
        last = OrderCounter.objects.values_list("last", flat=True).get(day=day)
    return f"{day:%Y%m%d}{last:06d}"
