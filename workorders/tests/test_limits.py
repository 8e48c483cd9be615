from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from workorders.limit_text import parse_limit
from workorders.limits import WorkCalendar, add_limit
from workorders.models import CalendarDay

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


def test_limits_parse_or_say_what_is_wrong():
    assert parse_limit("30m").amount == 30 and parse_limit("1wd").working
    for bad in ["", "0m", "30", "3 days", "-1h", "1w"]:
        with pytest.raises(ValueError, match="invalid time limit"):
            parse_limit(bad)


def test_natural_limits_are_clock_arithmetic(db):
    assert add_limit(at(2026, 10, 1, 23, 50), "15m") == at(2026, 10, 2, 0, 5)  # a holiday counts
    assert add_limit(at(2026, 3, 6, 17, 0), "7d") == at(2026, 3, 13, 17, 0)


def test_one_working_day_skips_a_weekend(db):
    # Friday 10:00 + 1 working day (8.5 working hours) = Monday 10:00.
    assert add_limit(at(2026, 3, 6, 10, 0), "1wd") == at(2026, 3, 9, 10, 0)
    # Friday evening: the clock starts Monday morning and runs a full working day.
    assert add_limit(at(2026, 3, 6, 19, 0), "1wd") == at(2026, 3, 9, 17, 30)


def test_national_day_holiday_and_its_make_up_saturday(db):
    # 2026: 1–7 October are holidays; Saturday 10 October is a make-up working day (调休).
    assert add_limit(at(2026, 9, 30, 10, 0), "1wd") == at(2026, 10, 8, 10, 0)
    assert add_limit(at(2026, 10, 9, 10, 0), "1wd") == at(2026, 10, 10, 10, 0)


def test_the_calendar_table_overrides_the_package(db):
    CalendarDay.objects.create(date=date(2026, 3, 9), is_workday=False, note="临时休息")
    assert not WorkCalendar().is_workday(date(2026, 3, 9))
    assert add_limit(at(2026, 3, 6, 10, 0), "1wd") == at(2026, 3, 10, 10, 0)


def test_a_year_without_calendar_falls_back_to_weekdays_with_a_warning(db, caplog):
    WorkCalendar._warned_years.discard(2031)
    assert WorkCalendar().is_workday(date(2031, 1, 6))  # a Monday
    assert not WorkCalendar().is_workday(date(2031, 1, 5))
    assert "No working calendar for 2031" in caplog.text


def test_working_hours_count_only_inside_the_working_day(db):
    assert add_limit(at(2026, 3, 9, 16, 0), "2wh") == at(2026, 3, 10, 9, 30)


def test_each_stage_reads_its_own_limit_fields_and_falls_back_to_the_default():
    """Issue 13: the stage → field map is spelled out (no ``f"{stage}_limit"``), and every
    stage a category times has a default."""
    from workorders.choices import Stage, Urgency
    from workorders.deadlines import DEFAULT_LIMITS
    from workorders.models import Category

    cat = Category(
        sign_limit="1h",
        contact_limit="2h",
        handle_limit="3d",
        callback_limit="4d",
        urgent_sign_limit="10m",
        urgent_handle_limit="1d",
    )
    normal = {s: cat.limit_for(s, Urgency.NORMAL) for s in Stage.values}
    urgent = {s: cat.limit_for(s, Urgency.URGENT) for s in Stage.values}
    assert normal == {"sign": "1h", "contact": "2h", "handle": "3d", "callback": "4d", "return_review": ""}
    assert urgent == {"sign": "10m", "contact": "2h", "handle": "1d", "callback": "4d", "return_review": ""}
    assert set(DEFAULT_LIMITS) == set(Stage.values) - {Stage.RETURN_REVIEW}
