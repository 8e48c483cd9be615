from datetime import date, datetime

from django.core.management import call_command
from django.utils import timezone

from dispatch.calendar import calendar_check, calendar_seed
from dispatch.models import SystemAlert
from workorders.limits import WorkCalendar, add_limit
from workorders.models import CalendarDay


def _at(*args):
    return timezone.make_aware(datetime(*args))


def test_seeding_writes_holidays_and_make_up_days_and_keeps_admin_edits(db):
    CalendarDay.objects.create(date=date(2026, 10, 7), is_workday=True, note="管理员改为上班")
    result = calendar_seed(years=[2026])
    assert result.created > 10 and result.kept == 1
    assert CalendarDay.objects.get(date=date(2026, 10, 10)).is_workday  # 调休 Saturday
    assert "调休" in CalendarDay.objects.get(date=date(2026, 10, 10)).note
    assert not CalendarDay.objects.get(date=date(2026, 10, 1)).is_workday
    assert CalendarDay.objects.get(date=date(2026, 10, 7)).is_workday  # kept
    again = calendar_seed(years=[2026], overwrite=True)
    assert again.created == 0 and again.updated == 1
    assert not CalendarDay.objects.get(date=date(2026, 10, 7)).is_workday


def test_one_working_day_skips_a_holiday_weekend_and_counts_a_make_up_saturday(db):
    calendar_seed(years=[2026])
    # Thursday 24 Sep 10:00 → Friday 25 is Mid-autumn, then the weekend: Monday 28 10:00.
    assert add_limit(_at(2026, 9, 24, 10, 0), "1wd", WorkCalendar()) == _at(2026, 9, 28, 10, 0)
    # Friday 9 Oct 10:00 → Saturday 10 Oct is a 调休 working day.
    assert add_limit(_at(2026, 10, 9, 10, 0), "1wd", WorkCalendar()) == _at(2026, 10, 10, 10, 0)
    # 15-minute and 30-minute sign-for limits run in natural time, holiday or not.
    assert add_limit(_at(2026, 10, 1, 23, 50), "15m") == _at(2026, 10, 2, 0, 5)
    # An admin edit takes effect at once: make Monday 28 Sep a holiday.
    CalendarDay.objects.update_or_create(date=date(2026, 9, 28), defaults={"is_workday": False, "note": "临时"})
    assert add_limit(_at(2026, 9, 24, 10, 0), "1wd", WorkCalendar()) == _at(2026, 9, 29, 10, 0)


def test_a_year_without_calendar_is_a_visible_alert_and_falls_back_to_weekdays(db, capsys):
    year = timezone.localdate().year + 1
    future = year if year > 2026 else 2027
    result = calendar_seed(years=[future])
    assert result.uncovered_years == (future,)
    if future == timezone.localdate().year + 1:
        assert future in calendar_check()
        assert SystemAlert.objects.filter(key=f"calendar-missing-{future}", resolved=False).exists()
    # A limit in that year still computes (Monday–Friday) instead of failing.
    friday = _at(future, 3, 5, 10, 0)
    while friday.weekday() != 4:
        friday = friday.replace(day=friday.day + 1)
    monday = add_limit(friday, "1wd", WorkCalendar())
    assert monday.weekday() == 0
    # Once the admin enters the year, the alert no longer reappears.
    CalendarDay.objects.create(date=date(future, 1, 1), is_workday=False, note="元旦")
    assert future not in calendar_check()


def test_seed_calendar_command_reports_uncovered_years(db, capsys):
    call_command("seed_calendar", "2026", "2099")
    out = capsys.readouterr()
    assert "created" in out.out and "2099" in out.err
