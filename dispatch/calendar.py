"""Seeding and checking the working-day calendar (workorders.CalendarDay).

``migrate`` seeds this year and the next (``calendar_seed_after_migrate``, connected in
dispatch/apps.py), so a fresh install has its holidays before the first order, and each
upgrade of the package followed by ``migrate`` adds the years it has learnt.

The table holds the exceptions to Monday–Friday: holidays (休) and the make-up
working days (调休, 班). The chinesecalendar package supplies them for the years it
covers; later years are entered in the admin the day the State Council announces them.
Until then the calendar falls back to Monday–Friday, and ``calendar_check`` raises an
admin-visible alert so the fallback is never silent.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.alerts import alert_raise
from dispatch.models import SystemAlert
from workorders.models import CalendarDay

logger = logging.getLogger(__name__)


@dataclass
class SeedResult:
    created: int = 0
    updated: int = 0
    kept: int = 0
    uncovered_years: tuple[int, ...] = ()


def package_covers(year: int) -> bool:
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - a pinned requirement
        return False
    try:
        chinese_calendar.is_workday(date(year, 6, 30))
    except NotImplementedError:
        return False
    return True


def _chinese_name(english: str | None) -> str:
    import chinese_calendar

    for holiday in chinese_calendar.Holiday:
        if holiday.value == english:
            return holiday.chinese
    return english or ""


def package_exceptions(year: int) -> dict[date, tuple[bool, str]]:
    """Days of ``year`` where the package differs from Monday–Friday: {day: (workday, note)}."""
    import chinese_calendar

    days: dict[date, tuple[bool, str]] = {}
    day = date(year, 1, 1)
    while day.year == year:
        workday = chinese_calendar.is_workday(day)
        if workday != (day.weekday() < 5):
            _holiday, name = chinese_calendar.get_holiday_detail(day)
            note = _chinese_name(name) + (_("调休上班") if workday else "")
            days[day] = (workday, note)
        day += timedelta(days=1)
    return days


def calendar_seed(*, years: list[int], overwrite: bool = False) -> SeedResult:
    """Write the package's holidays and 调休 days for ``years``. Days an admin already
    entered are kept unless ``overwrite``; years the package does not cover are
    reported, not guessed."""
    result = SeedResult()
    uncovered = []
    for year in years:
        if not package_covers(year):
            uncovered.append(year)
            continue
        wanted = package_exceptions(year)
        with transaction.atomic():
            existing = {d.date: d for d in CalendarDay.objects.filter(date__year=year)}
            for day, (workday, note) in sorted(wanted.items()):
                row = existing.get(day)
                if row is None:
                    CalendarDay.objects.create(date=day, is_workday=workday, note=note)
                    result.created += 1
                elif overwrite and (row.is_workday, row.note) != (workday, note):
                    row.is_workday, row.note = workday, note
                    row.save(update_fields=["is_workday", "note"])
                    result.updated += 1
                else:
                    result.kept += 1
        SystemAlert.objects.filter(key=f"calendar-missing-{year}").update(resolved=True)
    result.uncovered_years = tuple(uncovered)
    return result


def calendar_covers(year: int) -> bool:
    """Entered in the table (any day of the year) or known to the package."""
    return CalendarDay.objects.filter(date__year=year).exists() or package_covers(year)


# The State Council publishes next year's holidays between late October and mid
# December; warning from two months before the year starts gives the admin time to enter
# them and does not cry wolf for the ten months in which no one can know them yet.
WARN_AHEAD = timedelta(days=60)


def calendar_years_due(*, today: date | None = None) -> list[int]:
    """The years that must be covered by now: this year, and the next one once it is
    less than WARN_AHEAD away."""
    today = today or timezone.localdate()
    years = [today.year]
    if date(today.year + 1, 1, 1) - today <= WARN_AHEAD:
        years.append(today.year + 1)
    return years


def calendar_check(*, today: date | None = None) -> list[int]:
    """Alert the admin about the years due (``calendar_years_due``) that have no
    calendar; returns them."""
    missing = [y for y in calendar_years_due(today=today) if not calendar_covers(y)]
    for year in missing:
        alert_raise(
            key=f"calendar-missing-{year}",
            message=_("%(y)s 年没有工作日历，按周一至周五计算工作日；请在管理后台「工作日历」录入节假日和调休。")
            % {"y": year},
        )
    return missing


def calendar_seed_after_migrate(*, using: str, verbosity: int = 1, **_signal) -> None:
    """post_migrate: seed this year and the next, keeping every day an admin entered,
    and warn (stderr and the admin alert) about a year due that nothing covers.

    Skipped on a database migrated back to before the calendar or alert tables, and on
    any alias but the primary (the replica is a copy of it)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    if using != DEFAULT_DB_ALIAS:
        return
    tables = set(connections[using].introspection.table_names())
    if not {CalendarDay._meta.db_table, SystemAlert._meta.db_table} <= tables:
        return
    this_year = timezone.localdate().year
    result = calendar_seed(years=[this_year, this_year + 1])
    if verbosity >= 1 and result.created:
        sys.stdout.write(f"  Working-day calendar: {result.created} holidays and make-up days added.\n")
    for year in calendar_check():
        sys.stderr.write(
            f"  Warning: no working-day calendar for {year} (the installed chinesecalendar does not cover it); "
            "Monday-Friday is used until its holidays are entered in the admin.\n"
        )
