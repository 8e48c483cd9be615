"""回头看: sampled second callbacks days after closing; unsatisfied reopens the order."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from community.models import Revisit, RevisitPolicy, RevisitState
from community.revisits import is_sampled, revisit_figures, revisit_record, revisit_scan, revisits_due
from workorders import services as svc
from workorders.choices import Stage, Status
from workorders.errors import Conflict, InvalidInput, NotAllowed
from workorders.models import Deadline, Event, WorkOrder


def closed_order(d, log_call, *, at):
    """An order handled by street A and closed (satisfied) at ``at``."""
    op = d.user("operator")
    order = log_call(now=at - timedelta(hours=5))
    svc.work_order_assign(order=order, actor=d.user("dispatcher"), unit=d.street_a, now=at - timedelta(hours=4))
    svc.work_order_sign(order=order, actor=d.user("handler_a"), now=at - timedelta(hours=3))
    svc.work_order_reply(order=order, actor=d.user("handler_a"), reply="已清理", now=at - timedelta(hours=2))
    svc.work_order_approve(order=order, actor=d.user("dispatcher"), now=at - timedelta(hours=1))
    return svc.work_order_callback(
        order=order, actor=op, contacted=True, resolution="solved", satisfaction="satisfied", now=at
    )


@pytest.fixture
def policy(district):
    return RevisitPolicy.objects.create(category=district.cat_territorial, sample_percent=100, delay_days=7)


@pytest.mark.django_db
def test_a_closure_is_revisited_once_after_its_delay(district, log_call, policy):
    now = timezone.now()
    order = closed_order(district, log_call, at=now - timedelta(days=6))
    assert revisit_scan(now=now) == 0  # not yet: 7 days
    later = now + timedelta(days=1, minutes=1)
    assert revisit_scan(now=later) == 1
    assert revisit_scan(now=later) == 0  # the second run finds nothing new
    revisit = Revisit.objects.get()
    assert (revisit.order, revisit.unit, revisit.state) == (order, district.street_a, RevisitState.PENDING)
    assert revisit.due_at == order.closed_at + timedelta(days=7)
    assert list(revisits_due(user=district.user("operator"), now=later)) == [revisit]
    assert not revisits_due(user=district.user("handler_b"), now=later).exists()


@pytest.mark.django_db
def test_the_sample_follows_the_rate_and_is_the_same_every_run(district, log_call, policy):
    closures = [(pk, timezone.now() - timedelta(days=d, minutes=pk)) for pk in range(1, 401) for d in (8,)]
    picked = [c for c in closures if is_sampled(order_id=c[0], closed_at=c[1], percent=25)]
    assert 70 <= len(picked) <= 130  # about a quarter
    assert picked == [c for c in closures if is_sampled(order_id=c[0], closed_at=c[1], percent=25)]
    assert not [c for c in closures if is_sampled(order_id=c[0], closed_at=c[1], percent=0)]


@pytest.mark.django_db
def test_categories_without_a_policy_or_answered_on_the_call_are_not_revisited(district, log_call, policy):
    now = timezone.now()
    policy.is_active = False
    policy.save()
    closed_order(district, log_call, at=now - timedelta(days=8))
    answered = log_call(now=now - timedelta(days=8))
    svc.work_order_answer_now(
        order=answered, actor=district.user("operator"), answer="已解答", now=now - timedelta(days=8)
    )
    assert revisit_scan(now=now) == 0
    policy.is_active = True
    policy.save()
    assert revisit_scan(now=now) == 1  # the handled one only (no unit to count against otherwise)


@pytest.mark.django_db
def test_satisfied_is_recorded_on_the_closed_order(district, log_call, policy):
    now = timezone.now()
    order = closed_order(district, log_call, at=now - timedelta(days=8))
    revisit_scan(now=now)
    revisit = revisit_record(revisit=Revisit.objects.get(), actor=district.user("operator"), outcome="satisfied")
    assert revisit.state == RevisitState.SATISFIED and revisit.answered_by == district.user("operator")
    after = WorkOrder.objects.get(pk=order.pk)
    assert after.status == Status.CLOSED and after.version == order.version
    assert Event.objects.filter(order=order, kind="revisit_confirm").get().payload["outcome"] == "satisfied"


@pytest.mark.django_db
def test_unsatisfied_reopens_the_order_for_its_unit_and_counts_against_it(district, log_call, policy):
    now = timezone.now()
    order = closed_order(district, log_call, at=now - timedelta(days=8))
    revisit_scan(now=now)
    with pytest.raises(InvalidInput):  # the reason is required
        revisit_record(revisit=Revisit.objects.get(), actor=district.user("operator"), outcome="unsatisfied")
    revisit_record(
        revisit=Revisit.objects.get(), actor=district.user("operator"), outcome="unsatisfied", note="摊贩又回来了"
    )
    after = WorkOrder.objects.get(pk=order.pk)
    assert after.status == Status.IN_PROGRESS and after.closed_at is None and after.reopen_count == 1
    assert after.current_unit == district.street_a
    assert Deadline.objects.filter(order=order, stage=Stage.HANDLE, state="open").exists()
    figures = revisit_figures(user=district.user("supervisor"), since=now - timedelta(days=30), until=now)
    assert (figures.closures, figures.revisits, figures.unsatisfied) == (1, 1, 1)
    assert figures.by_unit == [("甲街道", 1, 1)]
    # Handled and closed again, the new closure is a new candidate of its own.
    svc.work_order_reply(order=after, actor=district.user("handler_a"), reply="再次清理")
    svc.work_order_approve(order=after, actor=district.user("dispatcher"))
    svc.work_order_callback(
        order=after, actor=district.user("operator"), contacted=True, resolution="solved", satisfaction="basic"
    )
    assert revisit_scan(now=timezone.now() + timedelta(days=8)) == 1


@pytest.mark.django_db
def test_only_operators_record_and_only_once(district, log_call, policy):
    now = timezone.now()
    closed_order(district, log_call, at=now - timedelta(days=8))
    revisit_scan(now=now)
    revisit = Revisit.objects.get()
    with pytest.raises(NotAllowed):
        revisit_record(revisit=revisit, actor=district.user("handler_a"), outcome="satisfied")
    assert Revisit.objects.get().state == RevisitState.PENDING
    revisit_record(revisit=revisit, actor=district.user("operator"), outcome="unreachable")
    with pytest.raises(Conflict):
        revisit_record(revisit=revisit, actor=district.user("operator"), outcome="unsatisfied", note="x")


@pytest.mark.django_db
def test_the_revisit_page_records_the_result_and_shows_the_figures(client, district, log_call, policy):
    now = timezone.now()
    order = closed_order(district, log_call, at=now - timedelta(days=8))
    revisit_scan(now=now)
    revisit = Revisit.objects.get()
    client.force_login(district.user("operator"))
    page = client.get("/community/revisits/").content.decode()
    assert order.number in page and "13812345678" in page and "回头看率" in page
    bad = client.post(f"/community/revisits/{revisit.pk}/", {"outcome": "unsatisfied", "note": ""})
    assert bad.status_code == 400 and "需要填写说明" in bad.content.decode()
    done = client.post(f"/community/revisits/{revisit.pk}/", {"outcome": "unsatisfied", "note": "又出现了"})
    assert done.status_code == 302 and WorkOrder.objects.get(pk=order.pk).status == Status.IN_PROGRESS
    client.force_login(district.user("supervisor"))
    page = client.get("/community/revisits/").content.decode()
    assert "不满意重办" in page and "甲街道" in page and "记录回头看结果" not in page
    client.force_login(district.user("handler_a"))
    assert client.get("/community/revisits/").status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_make_each_revisit_once(district, log_call, policy):
    from community.tasks import revisit_scan as task

    now = timezone.now()
    for days in (8, 9, 10):
        closed_order(district, log_call, at=now - timedelta(days=days))
    barrier, results = threading.Barrier(2), []

    def run():
        try:
            barrier.wait(10)
            results.append(task.apply())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(r.successful() for r in results)
    assert Revisit.objects.count() == 3


@pytest.mark.django_db
def test_the_dashboard_shows_the_revisit_block(client, district, log_call, policy):
    now = timezone.now()
    closed_order(district, log_call, at=now - timedelta(days=8))
    revisit_scan(now=now)
    revisit_record(revisit=Revisit.objects.get(), actor=district.user("operator"), outcome="satisfied")
    client.force_login(district.user("supervisor"))
    day = timezone.localdate(now - timedelta(days=20)).isoformat()
    html = client.get(f"/dashboard/?start={day}&end={timezone.localdate(now).isoformat()}").content.decode()
    block = html[html.index('data-block="revisits"') :]
    assert "回头看率" in block and "100%" in block and "1/1" in block


@pytest.mark.django_db
def test_an_unsatisfied_revisit_tells_the_unit_like_any_reopen(
    district, log_call, policy, django_capture_on_commit_callbacks, settings
):
    """Issue 13: revisit_reopen was missing from the hand-kept follow-up list, so the unit
    that must redo the order was never told; its rule now names the follow-up."""
    from dispatch.models import Notification

    settings.HOTLINE_NOTIFY_BACKEND = "dispatch.backends.LogBackend"
    order = closed_order(district, log_call, at=timezone.now() - timedelta(days=8))
    revisit_scan(now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        revisit_record(
            revisit=Revisit.objects.get(), actor=district.user("operator"), outcome="unsatisfied", note="摊贩又回来了"
        )
    told = Notification.objects.filter(order=order, event__kind="revisit_reopen")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["handler_a"]
    assert "摊贩又回来了" in told.get().text
