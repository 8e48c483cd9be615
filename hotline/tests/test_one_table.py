"""The transition table is the one list of per-kind facts (issue 13).

Every event kind of ``workorders.transitions.TRANSITIONS`` is handled, or deliberately
absent, everywhere a kind shows up: the follow-up workers, the API's routes, the order
page's actions, the queues, the event log's database constraint. Adding a kind without
wiring it (or saying on its rule that it is not offered there) fails here.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import resolve, reverse
from django.utils import timezone

from api import views as api_views
from api.selectors import DESK_QUEUES, UNIT_QUEUE
from dispatch.follow_ups import HANDLERS
from grids.models import Role
from hotline.celery import app
from web.actions import ACTIONS as PAGE_ACTIONS
from workorders.choices import Status
from workorders.models import Event
from workorders.transitions import API_CREATE, CREATE, ON_EVENT, REACHED_CALLBACKS, TRANSITIONS, actions

KINDS = list(TRANSITIONS)


def _api_routes() -> dict[str, set[str]]:
    """url_path → HTTP methods of the order viewset's extra actions (as routed)."""
    return {a.url_path: set(a.mapping) for a in api_views.WorkOrderViewSet.get_extra_actions()}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_handled_or_deliberately_absent_everywhere(kind):
    rule = TRANSITIONS[kind]
    assert str(rule.label), kind  # the timeline's label (web_tags.event_label)
    # Follow-ups: each task is one a worker runs; dispatch.on_event has a handler for it.
    app.loader.import_default_modules()
    for task in rule.follow_ups + tuple(task for _channel, task in rule.channel_follow_ups):
        assert task in app.tasks, f"{kind}: no worker task {task}"
    assert (kind in HANDLERS) == (ON_EVENT in rule.follow_ups), f"{kind}: HANDLERS and the rule's follow_ups disagree"
    # The API: the route the rule names exists (creation: POST /orders/), and no route
    # records a kind its rule does not name.
    if rule.api == API_CREATE:
        assert CREATE in rule.sources or kind == "self_handle", kind  # self_handle: a flag of the report
        assert hasattr(api_views.WorkOrderViewSet, "create")
    elif rule.api is not None and ":" in rule.api:  # an endpoint of an app above the API's viewset
        view = resolve(reverse(rule.api, kwargs={"number": "20260101000001"})).func
        assert hasattr(view.view_class, "post"), f"{kind}: {rule.api} takes no POST"
    elif rule.api is not None:
        assert "post" in _api_routes().get(rule.api, set()), f"{kind}: no POST /orders/<n>/{rule.api}"
    # The order page: the action the rule names has a form and a service there.
    if rule.page is not None:
        assert rule.page in PAGE_ACTIONS, f"{kind}: no page action {rule.page}"
    # The queues: a role waits for a step only where the table allows it.
    assert rule.queue <= rule.sources, kind


def test_no_interface_offers_an_action_the_table_does_not_name():
    api = actions("api")
    posts = {path for path, methods in _api_routes().items() if "post" in methods}
    own = {name for name in api if ":" not in name}
    assert posts == own - {API_CREATE}
    assert set(api_views.ACTIONS) == own - {API_CREATE, "reveal_caller"}
    assert set(PAGE_ACTIONS) == set(actions("page"))
    assert set(HANDLERS) <= set(TRANSITIONS)


def test_the_callback_rates_count_the_tables_reached_callbacks():
    from community.satisfaction import CALLBACK_KINDS as three_satisfactions
    from dashboards.selectors import CALLBACK_KINDS as rates

    assert rates is three_satisfactions is REACHED_CALLBACKS
    assert set(REACHED_CALLBACKS) < set(actions("page")["callback"])  # not the unreachable ones


def test_the_queues_are_the_tables_and_unchanged():
    """Derived from the rules' ``queue``, the queues are what they were when listed by hand."""
    assert DESK_QUEUES == {
        Role.OPERATOR: (Status.SUBMITTED, Status.CALLBACK),
        Role.DISPATCHER: (Status.ACCEPTED, Status.RETURNED, Status.REPLIED),
        Role.SUPERVISOR: (Status.ASSIGNED, Status.RETURNED, Status.IN_PROGRESS),
    }
    assert UNIT_QUEUE == (Status.ASSIGNED, Status.IN_PROGRESS)


@pytest.mark.django_db
def test_the_migrations_constrain_the_event_log_to_the_tables_kinds():
    # A kind added to the table without its migration leaves the model and the
    # database apart: makemigrations --check fails (exit status 1).
    call_command("makemigrations", "workorders", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_the_database_refuses_an_event_of_a_kind_not_in_the_table(log_call):
    order = log_call()
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(order=order, seq=2, kind="sign_off", actor_role="system", created_at=timezone.now())
    Event.objects.create(order=order, seq=2, kind="urge", actor_role="system", created_at=timezone.now())
