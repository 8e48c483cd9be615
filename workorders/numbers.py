"""Human-readable order numbers: local date + a six-digit per-day sequence."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone

from workorders.models import OrderCounter

# One statement: insert the day's row or bump it, and read the new value back. The row
# lock it takes is held until the surrounding transaction ends, so two creators can
# never get the same value, and a rolled-back creation gives its number back. Both
# PostgreSQL and SQLite (3.35+) speak this upsert-with-RETURNING.
_NEXT_SQL = (
    f"INSERT INTO {OrderCounter._meta.db_table} (day, last) VALUES (%s, 1) "
    f"ON CONFLICT (day) DO UPDATE SET last = {OrderCounter._meta.db_table}.last + 1 RETURNING last"
)


def issue_number(now: datetime) -> str:
    day = timezone.localtime(now).date()
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_SQL, [day])
        (last,) = cursor.fetchone()
    return f"{day:%Y%m%d}{last:06d}"
