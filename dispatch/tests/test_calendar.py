from datetime import date, datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from dispatch.calendar import calendar_check, calendar_seed
from dispatch.models import SystemAlert
from workorders.limits import WorkCalendar, add_limit
from workorders.models import CalendarDay


def _at(*args):
    return timezone.make_aware(datetime(*args))


def test_seeding_writes_holidays_and_make_up_days_and_keeps_admin_edits(db):
    CalendarDay.objects.all().delete()  # what migrate seeded (tested below)
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


def test_a_year_without_calendar_is_a_visible_alert_and_falls_back_to_weekdays(db):
    future = 2099  # no chinesecalendar release will cover it
    result = calendar_seed(years=[future])
    assert result.uncovered_years == (future,)
    CalendarDay.objects.create(date=date(future - 1, 1, 1), is_workday=False, note="元旦")  # the year before: entered
    # Ten months ahead nobody can know next year's holidays yet: no alert.
    assert calendar_check(today=date(future - 1, 3, 1)) == []
    assert not SystemAlert.objects.filter(key=f"calendar-missing-{future}").exists()
    # Two months ahead it is due: a visible alert.
    assert calendar_check(today=date(future - 1, 11, 2)) == [future]
    assert SystemAlert.objects.filter(key=f"calendar-missing-{future}", resolved=False).exists()
    # During the year itself, every check says so again.
    assert calendar_check(today=date(future, 5, 1)) == [future]
    # A limit in that year still computes (Monday–Friday) instead of failing.
    friday = _at(future, 3, 5, 10, 0)
    while friday.weekday() != 4:
        friday = friday.replace(day=friday.day + 1)
    monday = add_limit(friday, "1wd", WorkCalendar())
    assert monday.weekday() == 0
    # Once the admin enters the year, the alert no longer reappears.
    CalendarDay.objects.create(date=date(future, 1, 1), is_workday=False, note="元旦")
    assert calendar_check(today=date(future, 5, 1)) == []


def test_seed_calendar_command_reports_uncovered_years(db, capsys):
    call_command("seed_calendar", "2026", "2099")
    out = capsys.readouterr()
    assert "created" in out.out and "2099" in out.err


@pytest.fixture
def mid_2026(monkeypatch):
    """Today is 1 June 2026: a year the pinned chinesecalendar covers, the next not."""
    today = date(2026, 6, 1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
    return today


def test_migrate_seeds_this_and_next_year_and_keeps_admin_edits(db, capsys, mid_2026):
    admin_edit, _ = CalendarDay.objects.update_or_create(
        date=date(2026, 10, 1), defaults={"is_workday": True, "note": "管理员改为上班"}
    )
    CalendarDay.objects.exclude(pk=admin_edit.pk).delete()
    SystemAlert.objects.all().delete()
    call_command("migrate", "--noinput")
    out = capsys.readouterr()
    assert "holidays and make-up days added" in out.out
    assert CalendarDay.objects.filter(date__year=2026).count() > 10
    assert not CalendarDay.objects.get(date=date(2026, 10, 2)).is_workday  # National Day
    assert CalendarDay.objects.get(date=date(2026, 10, 10)).is_workday  # 调休 Saturday
    assert calendar_seed(years=[2026]).created == 0  # nothing left to add
    admin_edit.refresh_from_db()
    assert admin_edit.is_workday and admin_edit.note == "管理员改为上班"
    # Half a year before 2027 nobody warns about it yet.
    assert "Warning" not in out.err and not SystemAlert.objects.filter(resolved=False).exists()


def test_migrate_warns_about_next_year_two_months_ahead_when_nothing_covers_it(db, capsys, monkeypatch):
    from dispatch import calendar

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 11, 15))
    monkeypatch.setattr(calendar, "package_covers", lambda year: year <= 2026)  # the pinned package's reach
    CalendarDay.objects.all().delete()
    SystemAlert.objects.all().delete()
    call_command("migrate", "--noinput")
    out = capsys.readouterr()
    assert "no working-day calendar for 2027" in out.err
    assert SystemAlert.objects.filter(key="calendar-missing-2027", resolved=False).exists()
    assert CalendarDay.objects.filter(date__year=2026).exists()  # this year seeded all the same


def test_migrate_seeds_only_the_primary(db):
    from dispatch.calendar import calendar_seed_after_migrate

    CalendarDay.objects.all().delete()
    calendar_seed_after_migrate(using="replica")  # the replica is a copy of the primary
    assert not CalendarDay.objects.exists()
