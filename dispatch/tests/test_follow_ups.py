from datetime import datetime, timedelta

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from dispatch.follow_ups import callback_retries_remind, next_working_morning
from dispatch.models import CallbackRetry, DispatchQueueEntry, Notification
from workorders.choices import Stage, Status
from workorders.models import CalendarDay, Deadline
from workorders.services import (
    work_order_add_cohandlers,
    work_order_approve,
    work_order_approve_extension,
    work_order_callback,
    work_order_cohandler_report,
    work_order_cohandler_sign,
    work_order_reassign,
    work_order_reply,
    work_order_request_extension,
    work_order_return,
    work_order_sign,
    work_order_sub_dispatch,
)


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run a service and its after-commit follow-ups (eager tasks), as a worker would."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def _told(order, kind):
    return sorted(
        Notification.objects.filter(order=order, event__kind=kind).values_list("recipient__username", flat=True)
    )


@override_settings(HOTLINE_MAX_RETURNS=1)
def test_returned_order_is_queued_without_the_returning_unit_then_goes_to_the_center(district, routed, after_commit):
    order = routed()
    assert order.current_unit == district.street_a
    after_commit(
        work_order_return, order=order, actor=district.user("handler_a"), reason="not_territory", note="不在本辖区"
    )
    order.refresh_from_db()
    assert order.status == Status.RETURNED and order.return_count == 1
    entry = DispatchQueueEntry.objects.get(order=order, state="open")
    assert entry.reasons[0] == {
        "code": "returned",
        "reason": "not_territory",
        "from_unit": district.street_a.pk,
        "count": 1,
    }
    assert district.street_a.pk not in {s["unit"] for s in entry.suggestions}
    assert _told(order, "return") == ["dispatcher"]

    # The dispatcher overrules; the street bounces it again: over the limit it goes to the center.
    after_commit(work_order_reassign, order=order, actor=district.user("dispatcher"), unit=district.street_a)
    after_commit(work_order_return, order=order, actor=district.user("handler_a"), reason="other", note="还是不归我们")
    order.refresh_from_db()
    assert order.status == Status.ASSIGNED and order.current_unit == district.center
    assert order.events.last().kind == "reassign" and order.events.last().actor is None
    assert _told(order, "return") == ["dispatcher", "dispatcher", "supervisor"]
    assert not DispatchQueueEntry.objects.filter(order=order, state="open").exists()


def test_three_level_sub_dispatch_each_level_signs_and_is_told(district, routed, after_commit):
    order = routed()
    order = work_order_sign(order=order, actor=district.user("handler_a"))
    after_commit(work_order_sub_dispatch, order=order, actor=district.user("handler_a"), unit=district.community_a)
    order = work_order_sign(order=order, actor=district.user("handler_community_a"))
    after_commit(work_order_sub_dispatch, order=order, actor=district.user("handler_community_a"), unit=district.grid_a)
    order = work_order_sign(order=order, actor=district.user("handler_grid_a"))
    assert order.status == Status.IN_PROGRESS and order.current_unit == district.grid_a
    assert _told(order, "sub_dispatch") == ["handler_community_a", "handler_grid_a"]
    signs = Deadline.objects.filter(order=order, stage=Stage.SIGN).order_by("opened_at")
    assert [d.state for d in signs] == ["met", "met", "met"]


def test_cohandling_asks_units_and_their_reports_reach_the_lead(district, routed, after_commit):
    order = work_order_sign(order=routed(), actor=district.user("handler_a"))
    after_commit(
        work_order_add_cohandlers,
        order=order,
        actor=district.user("handler_a"),
        units=[district.dept],
        note="需城管配合",
    )
    assert _told(order, "add_cohandler") == ["handler_dept"]
    work_order_cohandler_sign(order=order, actor=district.user("handler_dept"))
    after_commit(work_order_cohandler_report, order=order, actor=district.user("handler_dept"), report="已派执法队")
    assert _told(order, "cohandler_report") == ["handler_a"]
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds[-3:] == ["add_cohandler", "cohandler_sign", "cohandler_report"]


def test_extension_request_reaches_dispatchers_and_the_decision_the_unit(district, routed, after_commit):
    order = work_order_sign(order=routed(), actor=district.user("handler_a"))
    due = Deadline.objects.get(order=order, stage=Stage.HANDLE, state="open").due_at
    after_commit(
        work_order_request_extension,
        order=order,
        actor=district.user("handler_a"),
        proposed_due=due + timedelta(days=5),
        reason="需等待产权单位答复",
    )
    assert _told(order, "request_extension") == ["dispatcher"]
    after_commit(work_order_approve_extension, order=order, actor=district.user("dispatcher"))
    assert _told(order, "approve_extension") == ["handler_a"]
    assert Deadline.objects.get(order=order, stage=Stage.HANDLE, state="open").due_at == due + timedelta(days=5)


def test_unreachable_resident_is_retried_on_later_working_days_then_closed(district, routed, after_commit):
    order = work_order_sign(order=routed(), actor=district.user("handler_a"))
    order = work_order_reply(order=order, actor=district.user("handler_a"), reply="已处理。")
    order = work_order_approve(order=order, actor=district.user("dispatcher"))
    friday = timezone.make_aware(datetime(2026, 9, 24, 15, 0))  # Thursday before the Mid-autumn holiday
    after_commit(work_order_callback, order=order, actor=district.user("operator"), contacted=False, now=friday)
    retry = CallbackRetry.objects.get(order=order)
    assert retry.attempt == 2
    assert timezone.localtime(retry.due_at).date().isoformat() == "2026-09-28"  # skips the holiday and weekend
    assert callback_retries_remind(now=retry.due_at - timedelta(minutes=1)) == 0
    assert callback_retries_remind(now=retry.due_at) == 1
    assert callback_retries_remind(now=retry.due_at + timedelta(hours=1)) == 0  # reminded once
    assert Notification.objects.filter(order=order, dedupe_key__startswith=f"cbr{retry.pk}").count() == 1
    after_commit(work_order_callback, order=order, actor=district.user("operator"), contacted=False, now=retry.due_at)
    order = work_order_callback(order=order, actor=district.user("operator"), contacted=False)
    assert order.status == Status.CLOSED and order.events.last().kind == "close_unreachable"


def test_next_working_morning_counts_a_make_up_saturday(db):
    CalendarDay.objects.update_or_create(  # migrate seeds it in 2026 and 2027; entered by hand later
        date=datetime(2026, 10, 10).date(), defaults={"is_workday": True, "note": "国庆节调休上班"}
    )
    friday = timezone.make_aware(datetime(2026, 10, 9, 16, 0))
    assert timezone.localtime(next_working_morning(friday)).date().isoformat() == "2026-10-10"
