import pytest

from workorders import services as svc
from workorders.errors import NotAllowed
from workorders.privacy import caller_for
from workorders.selectors import work_orders_visible_to


@pytest.fixture
def assigned_a(district, log_call):
    return svc.work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)


def test_handler_cannot_see_or_sign_an_order_of_another_street(district, assigned_a):
    other = district.user("handler_b")
    assert not work_orders_visible_to(other).filter(pk=assigned_a.pk).exists()
    with pytest.raises(NotAllowed):
        svc.work_order_sign(order=assigned_a, actor=other)


def test_street_sees_its_orders_and_the_center_sees_all(district, assigned_a):
    assert work_orders_visible_to(district.user("handler_a")).filter(pk=assigned_a.pk).exists()
    assert work_orders_visible_to(district.user("supervisor")).filter(pk=assigned_a.pk).exists()
    assert not work_orders_visible_to(district.user("handler_dept")).filter(pk=assigned_a.pk).exists()


def test_community_sees_an_order_only_once_it_is_sub_dispatched_to_it(district, assigned_a):
    community = district.user("handler_community_a")
    assert not work_orders_visible_to(community).filter(pk=assigned_a.pk).exists()
    order = svc.work_order_sign(order=assigned_a, actor=district.user("handler_a"))
    order = svc.work_order_sub_dispatch(order=order, actor=district.user("handler_a"), unit=district.community_a)
    assert work_orders_visible_to(community).filter(pk=order.pk).exists()
    # …and the street above it still sees it.
    assert work_orders_visible_to(district.user("handler_a")).filter(pk=order.pk).exists()


def test_cohandling_unit_sees_the_order_it_was_called_to(district, assigned_a):
    order = svc.work_order_sign(order=assigned_a, actor=district.user("handler_a"))
    assert not work_orders_visible_to(district.user("handler_dept")).filter(pk=order.pk).exists()
    svc.work_order_add_cohandlers(order=order, actor=district.user("handler_a"), units=[district.dept])
    assert work_orders_visible_to(district.user("handler_dept")).filter(pk=order.pk).exists()


@pytest.mark.parametrize(
    "user, call",
    [
        ("operator", lambda d, o: svc.work_order_sign(order=o, actor=d.user("operator"))),
        ("dispatcher", lambda d, o: svc.work_order_sign(order=o, actor=d.user("dispatcher"))),
        ("supervisor", lambda d, o: svc.work_order_sign(order=o, actor=d.user("supervisor"))),
        ("grid_worker", lambda d, o: svc.work_order_sign(order=o, actor=d.user("grid_worker_a"))),
        ("handler urges", lambda d, o: svc.work_order_urge(order=o, actor=d.user("handler_a"), note="快")),
    ],
)
def test_roles_that_may_not_sign_or_dispatch(user, call, district, assigned_a):
    with pytest.raises(NotAllowed):
        call(district, assigned_a)
    assert assigned_a.events.count() == 2


def test_dispatcher_cannot_reply_and_handler_cannot_approve(district, assigned_a):
    order = svc.work_order_sign(order=assigned_a, actor=district.user("handler_a"))
    with pytest.raises(NotAllowed):
        svc.work_order_reply(order=order, actor=district.user("dispatcher"), reply="已处理")
    order = svc.work_order_reply(order=order, actor=district.user("handler_a"), reply="已处理")
    with pytest.raises(NotAllowed):
        svc.work_order_approve(order=order, actor=district.user("handler_a"))


def test_only_operators_log_calls_and_accept(district, log_call):
    with pytest.raises(NotAllowed):
        log_call(actor=district.user("dispatcher"))
    order = svc.work_order_submit(
        channel="patrol",
        actor=district.user("grid_worker_a"),
        title="垃圾满溢",
        description="垃圾桶满了",
        lat=39.905,
        lng=116.305,
    )
    with pytest.raises(NotAllowed):
        svc.work_order_accept(order=order, actor=district.user("grid_worker_a"), category=district.cat_territorial)


def test_street_supervisor_urges_own_street_only(district, assigned_a, log_call):
    svc.work_order_urge(order=assigned_a, actor=district.user("supervisor_a"), note="请尽快签收")
    order_b = svc.work_order_assign(
        order=log_call(lat=39.905, lng=116.325), actor=district.user("dispatcher"), unit=district.street_b
    )
    with pytest.raises(NotAllowed):
        svc.work_order_urge(order=order_b, actor=district.user("supervisor_a"), note="请尽快")


def test_units_see_callers_masked_and_confidential_callers_not_at_all(district, log_call):
    order = log_call()
    assert caller_for(district.user("handler_a"), order)["phone"] == "138****5678"
    assert caller_for(district.user("operator"), order)["phone"] == "13812345678"
    secret = log_call(caller_confidential=True)
    shown = caller_for(district.user("handler_a"), secret)
    assert "5678" not in shown["phone"] and shown["name"] == "（保密）"
    secret = svc.work_order_assign(order=secret, actor=district.user("dispatcher"), unit=district.street_a)
    with pytest.raises(NotAllowed):
        svc.work_order_reveal_caller(order=secret, actor=district.user("handler_a"))


def test_reading_a_full_number_is_an_audited_event_that_changes_nothing(district, assigned_a):
    version = assigned_a.version
    revealed = svc.work_order_reveal_caller(order=assigned_a, actor=district.user("handler_a"))
    assert revealed["phone"] == "13812345678"
    event = assigned_a.events.order_by("-seq").first()
    assert event.kind == "reveal_caller" and event.actor == district.user("handler_a")
    assigned_a.refresh_from_db()
    assert assigned_a.version == version and assigned_a.status == "assigned"
