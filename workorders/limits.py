"""Time limits ("30m", "2h", "7d", "8wh", "1wd") and the working-time calendar.

Natural-time limits (m, h, d) are plain clock arithmetic. Working-time limits (wh, wd)
count only minutes inside working hours on working days; a working day is the length
of the configured working hours, so "1wd" from Friday 10:00 ends Monday 10:00 and from
Friday 18:00 ends Monday at close of business.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

# validate_limit: the 0001 migration names it by this module's path.
from workorders.limit_text import (
    parse_limit,
    validate_limit,  # noqa: F401
)
from workorders.models import CalendarDay

logger = logging.getLogger(__name__)

_NATURAL = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
MAX_CALENDAR_DAYS = 3 * 366


def workday_minutes() -> int:
    start, end = settings.HOTLINE_WORKDAY_START, settings.HOTLINE_WORKDAY_END
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


class WorkCalendar:
    """Answers is_workday(day) from the CalendarDay table, loading days in blocks.

    Days the table does not hold fall back to the chinesecalendar package (for the years
    it covers) and then to Monday–Friday, with a warning so the admin knows to enter the
    year's holidays.
    """

    _warned_years: set[int] = set()

    def __init__(self) -> None:
        self._days: dict[date, bool] = {}
        self._loaded: set[tuple[int, int]] = set()

    def _load_month(self, day: date) -> None:
        key = (day.year, day.month)
        if key in self._loaded:
            return
        self._loaded.add(key)
        for row in CalendarDay.objects.filter(date__year=day.year, date__month=day.month):
            self._days[row.date] = row.is_workday

    def is_workday(self, day: date) -> bool:
        self._load_month(day)
        if day in self._days:
            return self._days[day]
        try:
            import chinese_calendar

            return chinese_calendar.is_workday(day)
        except (NotImplementedError, ImportError):
            if day.year not in self._warned_years:
                self._warned_years.add(day.year)
                logger.warning(
                    "No working calendar for %s: using Monday-Friday. Enter the year's holidays in the admin.",
                    day.year,
                )
            return day.weekday() < 5


def next_working_day(after: datetime, calendar: WorkCalendar | None = None) -> date | None:
    """The first working day after ``after``'s (local) day, or None if none within
    MAX_CALENDAR_DAYS."""
    calendar = calendar or WorkCalendar()
    day = timezone.localtime(after, timezone.get_current_timezone()).date()
    for _i in range(MAX_CALENDAR_DAYS):
        day += timedelta(days=1)
        if calendar.is_workday(day):
            return day
    return None


def add_working_minutes(start: datetime, minutes: int, calendar: WorkCalendar | None = None) -> datetime:
    calendar = calendar or WorkCalendar()
    tz = timezone.get_current_timezone()
    cursor = timezone.localtime(start, tz)
    remaining = timedelta(minutes=minutes)
    for _ in range(MAX_CALENDAR_DAYS):
        day = cursor.date()
        if calendar.is_workday(day):
            opens = datetime.combine(day, settings.HOTLINE_WORKDAY_START, tzinfo=tz)
            closes = datetime.combine(day, settings.HOTLINE_WORKDAY_END, tzinfo=tz)
            begin = max(cursor, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        cursor = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    raise ValueError(f"no working time found within {MAX_CALENDAR_DAYS} days of {start}")


def add_limit(start: datetime, text: str, calendar: WorkCalendar | None = None) -> datetime:
    limit = parse_limit(text)
    if limit.unit in _NATURAL:
        return start + limit.amount * _NATURAL[limit.unit]
    minutes = limit.amount * (60 if limit.unit == "wh" else workday_minutes())
    return add_working_minutes(start, minutes, calendar)


def warn_time(start: datetime, due: datetime) -> datetime:
    return start + (due - start) * settings.HOTLINE_WARN_FRACTION
