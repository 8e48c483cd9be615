"""Two people deciding one appeal (or one exclusion, or filing on one breach) at once on
PostgreSQL: exactly one decision, one event, and a clear refusal for the other."""

from datetime import timedelta

import pytest

from governance.models import Appeal, Exclusion
from governance.services import appeal_decide, appeal_file, exclusion_decide, exclusion_request
from workorders.errors import WorkflowError
from workorders.models import Deadline, Event
from workorders.tests.test_concurrency_pg import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_deciders_on_one_appeal_give_one_decision(district, handled):
    late = handled(sign_after=timedelta(hours=5))
    breach = Deadline.objects.get(order=late, stage="sign")
    at = breach.due_at + timedelta(hours=1)
    appeal = appeal_file(
        order=late, actor=district.user("handler_a"), target="breach", subject_id=breach.pk, reason="申诉", now=at
    )
    results = run_together(
        [
            lambda: appeal_decide(appeal=appeal, actor=district.user("supervisor"), uphold=True, note="成立"),
            lambda: appeal_decide(appeal=appeal, actor=district.user("dispatcher"), uphold=False, note="驳回"),
        ]
    )
    assert sum(isinstance(r, Appeal) for r in results) == 1, results
    assert sum(isinstance(r, WorkflowError) for r in results) == 1, results
    appeal.refresh_from_db()
    decided = Event.objects.filter(order=late, kind__in=["appeal_uphold", "appeal_dismiss"])
    assert decided.count() == 1 and decided.get().payload["decision"] == appeal.state


def test_two_filings_on_one_breach_give_one_appeal(district, handled):
    late = handled(sign_after=timedelta(hours=5))
    breach = Deadline.objects.get(order=late, stage="sign")
    at = breach.due_at + timedelta(hours=1)

    def file():
        return appeal_file(
            order=late, actor=district.user("handler_a"), target="breach", subject_id=breach.pk, reason="申诉", now=at
        )

    results = run_together([file, file])
    assert sum(isinstance(r, Appeal) for r in results) == 1, results
    assert Appeal.objects.count() == 1 and Event.objects.filter(order=late, kind="appeal_file").count() == 1


def test_two_deciders_on_one_exclusion_give_one_decision(district, handled):
    order = handled()
    ex = exclusion_request(order=order, actor=district.user("handler_a"), reason="duplicate", note="重复")
    results = run_together(
        [
            lambda: exclusion_decide(exclusion=ex, actor=district.user("supervisor"), approve=True, note="同意"),
            lambda: exclusion_decide(exclusion=ex, actor=district.user("dispatcher"), approve=False, note="驳回"),
        ]
    )
    assert sum(isinstance(r, Exclusion) for r in results) == 1, results
    assert Event.objects.filter(order=order, kind__in=["exclusion_approve", "exclusion_deny"]).count() == 1
