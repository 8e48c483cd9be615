"""更正分类: no status change, an event with from/to, open timers recomputed under the
new category's limits, dispatchers only, within their scope."""

from datetime import timedelta

import pytest

from grids.models import Role
from hotline.testing import make_user
from workorders import services as svc
from workorders.errors import InvalidInput, NotAllowed


def test_reclassify_records_from_and_to_and_recomputes_open_deadlines(district, log_call):
    d = district
    order = svc.work_order_assign(order=log_call(), actor=d.user("dispatcher"), unit=d.street_a)
    handle = order.deadlines.get(stage="handle", state="open")
    assert handle.limit == "7d"
    before_status, before_version = order.status, order.version
    order = svc.work_order_reclassify(
        order=order, actor=d.user("dispatcher"), category=d.cat_department, place=d.grid_b, note="实为违建"
    )
    assert order.status == before_status and order.version == before_version + 1
    event = order.events.order_by("-seq").first()
    assert event.kind == "reclassify" and event.from_status == event.to_status == before_status
    assert event.payload["from"] == {
        "category": "0101",
        "street": d.street_a.pk,
        "community": d.community_a.pk,
        "grid": d.grid_a.pk,
    }
    assert event.payload["to"] == {
        "category": "0102",
        "street": d.street_b.pk,
        "community": d.community_b.pk,
        "grid": d.grid_b.pk,
    }
    handle.refresh_from_db()
    assert handle.limit == "15d" and handle.due_at == handle.opened_at + timedelta(days=15)
    assert event.payload["deadlines"]["handle"] == handle.due_at.isoformat()
    order.refresh_from_db()
    assert order.due_at == min(x.due_at for x in order.deadlines.filter(state="open"))
    # The unit it was assigned to keeps it: a correction is not a re-dispatch.
    assert order.current_unit == d.street_a


def test_only_a_dispatcher_covering_the_order_may_reclassify(district, log_call):
    d = district
    order = log_call()
    for user in (d.user("operator"), d.user("handler_a")):
        with pytest.raises(NotAllowed):
            svc.work_order_reclassify(order=order, actor=user, category=d.cat_department)
    other_street = make_user("dispatcher_b", d.street_b, Role.DISPATCHER)
    with pytest.raises(NotAllowed):
        svc.work_order_reclassify(order=order, actor=other_street, category=d.cat_department)
    assert not order.events.filter(kind="reclassify").exists()


def test_reclassify_refuses_nothing_to_change_and_bad_targets(district, log_call):
    d = district
    order = log_call()
    with pytest.raises(InvalidInput) as info:
        svc.work_order_reclassify(order=order, actor=d.user("dispatcher"))
    assert "category" in info.value.errors
    with pytest.raises(InvalidInput):
        svc.work_order_reclassify(order=order, actor=d.user("dispatcher"), category=d.cat_territorial)
    with pytest.raises(InvalidInput) as info:
        svc.work_order_reclassify(order=order, actor=d.user("dispatcher"), place=d.dept)
    assert "place" in info.value.errors
    major = d.cat_territorial.parent
    with pytest.raises(InvalidInput):
        svc.work_order_reclassify(order=order, actor=d.user("dispatcher"), category=major)


def test_dispatcher_corrects_the_category_from_the_desk(district, log_call, client):
    from django.urls import reverse

    order = log_call()
    client.force_login(district.user("dispatcher"))
    page = client.get(reverse("web:desk")).content.decode()
    assert "更正分类" in page
    r = client.post(
        reverse("web:order_act", args=[order.number, "reclassify"]),
        {"expected_version": order.version, "category": district.cat_department.pk, "place": "", "note": ""},
    )
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.category == district.cat_department
