"""Auto-dispatch with the model: above the category's threshold, when the model agrees
with the rules, the router assigns and says why; otherwise the desk gets the top three."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dispatch.models import DispatchQueueEntry
from triage.models import DispatchThreshold
from triage.training import models_train
from workorders import services as svc
from workorders.choices import Status


@pytest.fixture
def routed_call(district, django_capture_on_commit_callbacks):
    def _call(description: str, **extra):
        fields = dict(
            actor=district.user("operator"),
            caller_phone="13812345678",
            title=description[:8],
            description=description,
            lat=39.905,
            lng=116.305,
            category=district.cat_territorial,
        )
        fields.update(extra)
        with django_capture_on_commit_callbacks(execute=True):
            order = svc.work_order_log_call(**fields)
        order.refresh_from_db()
        return order

    return _call


@pytest.mark.django_db
def test_cold_start_routes_by_the_rules_alone_and_says_so(district, routed_call):
    order = routed_call("门口有人摆摊")
    assert order.status == Status.ASSIGNED
    codes = [r["code"] for r in order.events.get(kind="assign").payload["routing"]["reasons"]]
    assert codes == ["category_default", "cold_start"]


@pytest.mark.django_db
def test_above_the_threshold_the_router_dispatches_with_the_models_reason(history, routed_call):
    models_train()
    DispatchThreshold.objects.create(category=history.cat_territorial, threshold=0.6)
    order = routed_call("路口有人摆摊卖水果，影响通行")
    assert order.status == Status.ASSIGNED and order.lead_unit == history.street_a
    reasons = order.events.get(kind="assign").payload["routing"]["reasons"]
    model = next(r for r in reasons if r["code"] == "model_agrees")
    assert model["threshold"] == 0.6
    assert model["category_confidence"] >= 0.6 and model["unit_confidence"] >= 0.6
    assert model["categories"][0][0] == history.cat_territorial.code


@pytest.mark.django_db
def test_below_the_threshold_the_order_waits_at_the_desk_with_the_top_three(history, routed_call, login):
    models_train()
    DispatchThreshold.objects.create(category=history.cat_territorial, threshold=1.0)  # never alone
    order = routed_call("路口有人摆摊卖水果，影响通行")
    assert order.status == Status.ACCEPTED
    entry = DispatchQueueEntry.objects.get(order=order, state="open")
    codes = [r["code"] for r in entry.reasons]
    assert codes[0] == "category_default" and codes[1] == "model_unsure"
    assert entry.reasons[1]["threshold"] == 1.0 and len(entry.reasons[1]["categories"]) <= 3
    assert 1 <= len(entry.suggestions) <= 3 and entry.suggestions[0]["unit"] == history.street_a.pk
    page = login("dispatcher").get(reverse("web:desk")).content.decode()
    assert "模型置信度低于自动派单阈值" in page and "模型推荐分类" in page


@pytest.mark.django_db
def test_when_the_model_reads_another_category_the_order_is_left_to_a_person(history, routed_call):
    models_train()
    # The operator chose 占道经营 but the caller describes an illegal building.
    order = routed_call("楼顶有人加盖了一间房，还在施工")
    assert order.status == Status.ACCEPTED
    entry = DispatchQueueEntry.objects.get(order=order, state="open")
    verdict = next(r for r in entry.reasons if r["code"].startswith("model_"))
    assert verdict["code"] == "model_disagrees"
    assert verdict["categories"][0][0] == history.cat_department.code
    assert history.dept.pk in [s["unit"] for s in entry.suggestions]


@pytest.mark.django_db
def test_desk_suggests_no_department_for_an_unlocated_territorial_order(district, handled, login):
    # Earlier unlocated orders with the same placeholder address went to the department.
    for order in handled(["违建"] * 3, district.cat_department, district.dept, district.user("handler_dept")):
        assert order.lead_unit == district.dept
    from workorders.models import WorkOrder

    WorkOrder.objects.update(address="具体位置不详")
    order = svc.work_order_log_call(
        actor=district.user("operator"),
        caller_phone="13600000000",
        title="摆摊",
        description="有人摆摊",
        address="具体位置不详",
        category=district.cat_territorial,
        auto_dispatch=False,
    )
    from dispatch.services import route_decide

    decision = route_decide(order)
    assert decision.unit is None
    assert district.dept.pk not in [s["unit"] for s in decision.suggestions]
