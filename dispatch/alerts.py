"""Admin-visible alerts for fallbacks the machine took instead of failing."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dispatch.models import SystemAlert

logger = logging.getLogger(__name__)


def alert_raise(*, key: str, message: str, now: datetime | None = None) -> SystemAlert:
    """Log ``message`` and record it under ``key`` (counted, re-opened if resolved)."""
    now = now or timezone.now()
    logger.warning("%s", message)
    updated = SystemAlert.objects.filter(key=key).update(
        count=F("count") + 1, last_seen=now, resolved=False, message=message[:500]
    )
    if not updated:
        try:
            with transaction.atomic():
                return SystemAlert.objects.create(key=key, message=message[:500], first_seen=now, last_seen=now)
        except IntegrityError:  # another process created it first: count ours
            SystemAlert.objects.filter(key=key).update(count=F("count") + 1, last_seen=now, resolved=False)
    return SystemAlert.objects.get(key=key)
