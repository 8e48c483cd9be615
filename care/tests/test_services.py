"""未诉先办 rules through care.services: registering, the schedule, visits, the audit,
proactive orders and how the figures count them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from care.models import Access, KeyResident, Kind, Outcome, ResidentAccess, Visit, VisitFrequency
from care.selectors import due_state, overdue_by_grid, reads_in_full, residents_visible_to
from care.services import frequency_set, interval_days, resident_add, visit_order_create, visit_record
from workorders.choices import Channel, Status
from workorders.errors import Conflict, InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db


def _add(district, actor_key="grid_worker_a", **overrides):
    fields = dict(
        actor=district.user(actor_key),
        grid=district.grid_a,
        kind=Kind.EMPTY_NEST,
        name="张桂兰",
        address="幸福里小区5号楼101室",
        phone="13955556666",
    )
    fields.update(overrides)
    return resident_add(**fields)


def test_the_migration_gives_every_kind_its_frequency(db):
    assert set(VisitFrequency.objects.values_list("kind", flat=True)) == set(Kind.values)
    assert interval_days(Kind.ALONE_ELDERLY) == 7


def test_grid_worker_registers_a_resident_of_their_grid_due_at_once(care):
    r = _add(care)
    assert r.next_due == timezone.localdate()
    assert ResidentAccess.objects.filter(resident=r, action=Access.ADD, unit=care.grid_a).count() == 1


@pytest.mark.parametrize("key", ["grid_worker_b", "handler_a", "handler_community_a", "admin", "handler_dept"])
def test_only_the_grids_own_staff_or_the_center_register(care, key):
    with pytest.raises(NotAllowed):
        _add(care, key)
    assert not KeyResident.objects.filter(name="张桂兰").exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"name": " "}, "name"),
        ({"address": ""}, "address"),
        ({"phone": "12ab"}, "phone"),
        ({"kind": "elderly"}, "kind"),
        ({"name": "长" * 51}, "name"),
        ({"grid": None}, "grid"),
    ],
)
def test_registering_with_bad_input_says_which_field(care, overrides, field):
    with pytest.raises(InvalidInput) as exc:
        _add(care, **overrides)
    assert field in exc.value.errors


def test_registering_in_a_community_instead_of_a_grid_is_refused(care):
    with pytest.raises(InvalidInput) as exc:
        _add(care, "supervisor", grid=care.community_a)
    assert "grid" in exc.value.errors


def test_a_completed_visit_schedules_the_next_after_the_kinds_interval(care):
    r = care.resident_a
    now = timezone.now()
    v = visit_record(resident=r, actor=care.user("grid_worker_a"), outcome=Outcome.MET, notes="身体尚好", now=now)
    r.refresh_from_db()
    assert v.due == timezone.localdate(now)
    assert r.next_due == timezone.localdate(now) + timedelta(days=7)  # 独居老人: weekly
    assert ResidentAccess.objects.filter(resident=r, action=Access.VISIT).count() == 1


def test_the_grids_handler_may_record_a_visit_too(care):
    visit_record(resident=care.resident_a, actor=care.user("handler_grid_a"), outcome=Outcome.PHONE, notes="电话问候")
    care.resident_a.refresh_from_db()
    assert care.resident_a.next_due > timezone.localdate()


def test_nobody_at_home_is_recorded_but_the_visit_stays_due(care):
    r = care.resident_a
    KeyResident.objects.filter(pk=r.pk).update(next_due=timezone.localdate() - timedelta(days=3))
    r.refresh_from_db()
    visit_record(resident=r, actor=care.user("grid_worker_a"), outcome=Outcome.ABSENT, notes="敲门无人应答")
    r.refresh_from_db()
    assert r.next_due == timezone.localdate() - timedelta(days=3)
    assert due_state(r, timezone.localdate()) == "overdue"
    assert Visit.objects.filter(resident=r).count() == 1


@pytest.mark.parametrize("key", ["grid_worker_b", "handler_a", "supervisor", "operator", "admin"])
def test_only_the_grids_own_staff_record_visits(care, key):
    with pytest.raises(NotAllowed):
        visit_record(resident=care.resident_a, actor=care.user(key), outcome=Outcome.MET, notes="x")
    assert not Visit.objects.exists()


@pytest.mark.parametrize("outcome, notes, field", [("visited", "ok", "outcome"), (Outcome.MET, "  ", "notes")])
def test_a_visit_with_bad_input_is_refused(care, outcome, notes, field):
    with pytest.raises(InvalidInput) as exc:
        visit_record(resident=care.resident_a, actor=care.user("grid_worker_a"), outcome=outcome, notes=notes)
    assert field in exc.value.errors


def test_a_resident_off_the_roll_is_not_visited(care):
    KeyResident.objects.filter(pk=care.resident_a.pk).update(active=False)
    with pytest.raises(Conflict):
        visit_record(resident=care.resident_a, actor=care.user("grid_worker_a"), outcome=Outcome.MET, notes="x")


def test_overdue_counts_per_grid_follow_the_users_view(care):
    today = timezone.localdate()
    KeyResident.objects.filter(pk=care.resident_a.pk).update(next_due=today - timedelta(days=1))
    _add(care)  # due today: not overdue
    center = {r["grid__name"]: (r["total"], r["overdue"]) for r in overdue_by_grid(care.user("supervisor"), today)}
    assert center == {care.grid_a.name: (2, 1), care.grid_b.name: (1, 0)}
    street_b = {r["grid__name"] for r in overdue_by_grid(care.user("handler_b"), today)}
    assert street_b == {care.grid_b.name}


def test_who_sees_which_resident_and_in_full(care):
    a, b = care.resident_a, care.resident_b
    expect = {
        "grid_worker_a": ({a.pk}, True),
        "handler_grid_a": ({a.pk}, True),
        "grid_worker_b": ({b.pk}, False),
        "handler_community_a": ({a.pk}, False),
        "handler_a": ({a.pk}, False),
        "supervisor_a": ({a.pk}, False),
        "handler_b": ({b.pk}, False),
        "handler_dept": (set(), False),
        "supervisor": ({a.pk, b.pk}, True),
        "dispatcher": ({a.pk, b.pk}, True),
        "operator": ({a.pk, b.pk}, True),
        "admin": ({a.pk, b.pk}, False),
    }
    for key, (ids, full_a) in expect.items():
        user = care.user(key)
        assert set(residents_visible_to(user).values_list("pk", flat=True)) == ids, key
        assert reads_in_full(user, a) is full_a, key


def test_a_shorter_frequency_makes_overdue_what_the_new_rule_calls_overdue(care):
    r = care.resident_a
    visit_record(
        resident=r,
        actor=care.user("grid_worker_a"),
        outcome=Outcome.MET,
        notes="ok",
        now=timezone.now() - timedelta(days=5),
    )
    r.refresh_from_db()
    assert due_state(r, timezone.localdate()) == "upcoming"
    assert frequency_set(kind=Kind.ALONE_ELDERLY, interval=3) == 1
    r.refresh_from_db()
    assert due_state(r, timezone.localdate()) == "overdue"
    assert interval_days(Kind.ALONE_ELDERLY) == 3


@pytest.mark.parametrize("interval", [0, 366, "7"])
def test_a_frequency_out_of_range_is_refused(db, interval):
    with pytest.raises(InvalidInput):
        frequency_set(kind=Kind.ALONE_ELDERLY, interval=interval)


def _visit(care):
    return visit_record(
        resident=care.resident_a, actor=care.user("grid_worker_a"), outcome=Outcome.MET, notes="家中暖气不热"
    )


def test_a_visit_raises_a_proactive_order_placed_in_the_residents_grid(care):
    v = _visit(care)
    order = visit_order_create(
        visit=v, actor=care.user("grid_worker_a"), description="王阿姨家暖气不热，请供热单位上门检修。"
    )
    assert order.channel == Channel.PROACTIVE
    assert order.status == Status.SUBMITTED  # waits for the operators, like a patrol report
    assert (order.grid_id, order.community_id, order.street_id) == (
        care.grid_a.pk,
        care.community_a.pk,
        care.street_a.pk,
    )
    assert (order.caller_name, order.caller_phone) == ("王秀英", "13911112222")
    v.refresh_from_db()
    assert v.order == order
    assert order.events.filter(kind="submit").count() == 1
    assert ResidentAccess.objects.filter(resident=care.resident_a, action=Access.ORDER).count() == 1


def test_one_order_per_visit(care):
    v = _visit(care)
    visit_order_create(visit=v, actor=care.user("grid_worker_a"), description="a")
    with pytest.raises(Conflict):
        visit_order_create(visit=v, actor=care.user("grid_worker_a"), description="b")


@pytest.mark.parametrize("key", ["grid_worker_b", "supervisor", "handler_a"])
def test_only_the_grids_own_staff_raise_orders_from_its_visits(care, key):
    v = _visit(care)
    with pytest.raises(NotAllowed):
        visit_order_create(visit=v, actor=care.user(key), description="a")


def test_the_grids_handler_cannot_submit_an_order_the_transition_table_keeps_that_to_grid_workers(care):
    v = _visit(care)
    with pytest.raises(NotAllowed):
        visit_order_create(visit=v, actor=care.user("handler_grid_a"), description="a")
    v.refresh_from_db()
    assert v.order is None


def test_an_order_without_a_description_is_refused(care):
    with pytest.raises(InvalidInput) as exc:
        visit_order_create(visit=_visit(care), actor=care.user("grid_worker_a"), description="  ")
    assert "description" in exc.value.errors


def test_the_figures_count_proactive_orders_under_their_own_channel(care, log_call):
    from dashboards import rolled as board
    from dashboards import selectors as ds

    log_call()
    order = visit_order_create(visit=_visit(care), actor=care.user("grid_worker_a"), description="暖气不热")
    now = timezone.now()
    scope = ds.Scope(now - timedelta(days=1), now + timedelta(minutes=1))
    live, rolled = ds.summary(scope), board.summary(scope)
    assert live["proactive"].numerator == rolled["proactive"].numerator == 1
    assert live["volume"].numerator == 2  # in 受理量 too
    assert list(ds.orders_behind(scope, "proactive")) == [order]
    street_b = ds.Scope(scope.start, scope.end, care.street_b)
    assert ds.summary(street_b)["proactive"].numerator == 0


def test_off_the_roll_and_back_on_with_a_visit_due_at_once(care):
    from care.services import resident_set_active

    r = care.resident_a
    KeyResident.objects.filter(pk=r.pk).update(next_due=timezone.localdate() + timedelta(days=5))
    resident_set_active(resident=r, actor=care.user("grid_worker_a"), active=False)
    assert not residents_visible_to(care.user("grid_worker_a")).get(pk=r.pk).active
    later = overdue_by_grid(care.user("supervisor"), timezone.localdate() + timedelta(days=30))
    assert {row["grid__name"]: row["overdue"] for row in later} == {care.grid_b.name: 1}  # off the roll: not counted
    with pytest.raises(Conflict):
        resident_set_active(resident=r, actor=care.user("supervisor"), active=False)
    back = resident_set_active(resident=r, actor=care.user("supervisor"), active=True)
    assert back.active and back.next_due == timezone.localdate()
    assert ResidentAccess.objects.filter(resident=r, action=Access.EDIT).count() == 2
    with pytest.raises(NotAllowed):
        resident_set_active(resident=r, actor=care.user("handler_community_a"), active=False)
