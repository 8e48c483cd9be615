"""物业考核 end to end: a property company routed its 小区's orders, handling them, and
scored on on-time, 满意, 重办 and residents' complaints about it (被投诉率)."""

from datetime import timedelta

import pytest

from dispatch.models import RoutingRule, RuleTarget
from dispatch.services import route_order
from governance.figures import orders_behind_score, unit_figures
from governance.models import ComplaintCategory, Indicator
from governance.scoring import period_bounds, ranking
from governance.services import exclusion_decide, exclusion_request, scheme_save_version
from governance.tests.conftest import T0
from grids.models import OrgUnit, Role, Service, ServiceArea, UnitKind
from hotline.testing import make_user
from workorders.choices import ReturnReason
from workorders.errors import InvalidInput
from workorders.models import Category
from workorders.services import (
    work_order_approve,
    work_order_assign,
    work_order_contact,
    work_order_reply,
    work_order_return,
    work_order_sign,
)
from workorders.services.review import work_order_callback

pytestmark = pytest.mark.django_db

START, END = period_bounds("month", T0.date())
NOW = END + timedelta(days=1)
A1 = {"lat": 39.905, "lng": 116.305, "address": "幸福里小区"}
A2 = {"lat": 39.905, "lng": 116.315, "address": ""}
B1 = {"lat": 39.905, "lng": 116.325, "address": ""}


@pytest.fixture
def wuye(district):
    """Three property companies of community A: 幸福里物业 serves grid A1 and all of
    community B; 和园物业 serves grid A2; 甲一物业 serves community A as a whole (so,
    both its grids being claimed, nowhere)."""
    major = Category.objects.create(code="09", name="物业管理")
    complaint = Category.objects.create(
        code="0901",
        name="物业服务",
        parent=major,
        routing="territorial",
        sign_limit="30m",
        contact_limit="2h",
        handle_limit="7d",
        callback_limit="2d",
    )
    ComplaintCategory.objects.create(category=complaint, service=Service.PROPERTY)
    units = {}
    for code, name in (("P-1", "幸福里物业"), ("P-2", "和园物业"), ("P-3", "甲一物业")):
        units[code] = OrgUnit.objects.create(code=code, name=name, kind=UnitKind.PROPERTY, parent=district.community_a)
        make_user(f"wuye_{code[-1]}", units[code], Role.HANDLER)
    ServiceArea.objects.create(
        unit=units["P-1"], name="幸福里小区", community=district.community_a, grid=district.grid_a
    )
    ServiceArea.objects.create(unit=units["P-1"], name="和平家园", community=district.community_b)
    ServiceArea.objects.create(unit=units["P-2"], name="和园", community=district.community_a, grid=district.grid_a2)
    ServiceArea.objects.create(unit=units["P-3"], name="甲一社区", community=district.community_a)
    units["complaint"] = complaint
    return units


def _user(code):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=f"wuye_{code[-1]}")


def test_complaints_count_against_the_company_serving_the_place(district, log_call, wuye):
    complaint = wuye["complaint"]
    in_a1 = [log_call(now=T0, category=complaint, **A1) for _ in range(2)]
    other_matter = log_call(now=T0, **A1)
    in_b = log_call(now=T0, category=complaint, **B1)
    in_a2 = log_call(now=T0, category=complaint, **A2)
    log_call(now=END + timedelta(hours=1), category=complaint, **A1)  # next month

    figs = unit_figures(start=START, end=END, kind=UnitKind.PROPERTY, now=NOW)
    c = figs[wuye["P-1"].pk][Indicator.COMPLAINT]
    assert (c.numerator, c.denominator) == (3, 4)
    c = figs[wuye["P-2"].pk][Indicator.COMPLAINT]
    assert (c.numerator, c.denominator) == (1, 1)
    # A community-wide company answers only for the grids nobody serves by name.
    c = figs[wuye["P-3"].pk][Indicator.COMPLAINT]
    assert (c.numerator, c.denominator) == (0, 0)

    def listed(unit, part, located=None):
        qs = orders_behind_score(
            start=START, end=END, unit=unit, indicator="complaint", part=part, now=NOW, located=located
        )
        return set(qs.values_list("pk", flat=True))

    assert listed(wuye["P-1"], "num") == {o.pk for o in in_a1} | {in_b.pk}
    assert listed(wuye["P-1"], "all") == {o.pk for o in in_a1} | {in_b.pk, other_matter.pk}
    assert listed(wuye["P-2"], "num") == {in_a2.pk}
    # Community B reads the company on its own residents' orders only.
    located = {district.community_b.pk}
    c = unit_figures(start=START, end=END, kind=UnitKind.PROPERTY, now=NOW, located=located)[wuye["P-1"].pk]
    assert (c[Indicator.COMPLAINT].numerator, c[Indicator.COMPLAINT].denominator) == (1, 1)
    assert listed(wuye["P-1"], "all", located) == {in_b.pk}


def test_complaint_categories_are_data_not_code(district, log_call, wuye):
    order = log_call(now=T0, **A1)  # 占道经营: not a complaint about the 物业
    figs = unit_figures(start=START, end=END, kind=UnitKind.PROPERTY, now=NOW)[wuye["P-1"].pk]
    assert figs[Indicator.COMPLAINT].numerator == 0
    ComplaintCategory.objects.create(category=district.cat_territorial, service=Service.PROPERTY)
    figs = unit_figures(start=START, end=END, kind=UnitKind.PROPERTY, now=NOW)[wuye["P-1"].pk]
    assert figs[Indicator.COMPLAINT].numerator == 1
    # A complaint about the water supply is not one about the 物业.
    ComplaintCategory.objects.filter(category=district.cat_territorial).update(service=Service.WATER)
    figs = unit_figures(start=START, end=END, kind=UnitKind.PROPERTY, now=NOW)[wuye["P-1"].pk]
    assert figs[Indicator.COMPLAINT].numerator == 0
    assert figs[Indicator.COMPLAINT].denominator == 1  # the order is still one of its 小区's
    assert order.community == district.community_a


def test_an_excluded_complaint_counts_nowhere(district, log_call, wuye):
    order = log_call(now=T0, category=wuye["complaint"], **A1)
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=wuye["P-1"], now=T0)
    ex = exclusion_request(
        order=order, actor=_user("P-1"), reason="malicious", note="同一人一天来电二十次", now=T0 + timedelta(hours=1)
    )
    exclusion_decide(exclusion=ex, actor=district.user("supervisor"), approve=True, note="核实")
    c = unit_figures(start=START, end=END, kind=UnitKind.PROPERTY, now=NOW)[wuye["P-1"].pk][Indicator.COMPLAINT]
    assert (c.numerator, c.denominator) == (0, 0)


def test_routed_company_is_scored_on_time_satisfaction_reopen_and_complaints(district, log_call, wuye):
    RoutingRule.objects.create(category=wuye["complaint"], target=RuleTarget.SERVING_UNIT, service=Service.PROPERTY)
    worker = _user("P-1")
    order = log_call(now=T0, category=wuye["complaint"], **A1)
    route_order(order_id=order.pk, now=T0)
    order.refresh_from_db()
    assert order.lead_unit == wuye["P-1"]
    t = T0 + timedelta(minutes=10)
    work_order_sign(order=order, actor=worker, now=t)
    work_order_contact(order=order, actor=worker, now=t + timedelta(minutes=5))
    work_order_reply(order=order, actor=worker, reply="已安排保洁每日清扫楼道", now=t + timedelta(hours=2))
    work_order_approve(order=order, actor=district.user("dispatcher"), now=t + timedelta(hours=3))
    work_order_callback(
        order=order,
        actor=district.user("operator"),
        contacted=True,
        resolution="solved",
        satisfaction="satisfied",
        now=t + timedelta(hours=4),
    )
    # A second one it hands back to the center: a routed company returns like a lead.
    bounced = log_call(now=T0 + timedelta(days=1), **A1)
    work_order_assign(order=bounced, actor=district.user("dispatcher"), unit=wuye["P-1"], now=T0 + timedelta(days=1))
    work_order_return(
        order=bounced,
        actor=worker,
        reason=ReturnReason.OVERLAPPING_DUTY,
        note="占道经营归城管",
        now=T0 + timedelta(days=1, minutes=20),
    )
    figs = unit_figures(start=START, end=END, kind=UnitKind.PROPERTY, now=NOW)[wuye["P-1"].pk]
    # Both answered within the sign limit (handing back in time is a response too).
    assert (figs["response"].numerator, figs["response"].denominator) == (2, 2)
    assert (figs["on_time"].numerator, figs["on_time"].denominator) == (1, 1)
    assert (figs["satisfaction"].numerator, figs["satisfaction"].denominator) == (1, 1)
    assert (figs["reopen"].numerator, figs["reopen"].denominator) == (0, 1)
    assert (figs["return"].numerator, figs["return"].denominator) == (1, 2)
    assert (figs["complaint"].numerator, figs["complaint"].denominator) == (1, 2)
    assert list(
        orders_behind_score(start=START, end=END, unit=wuye["P-1"], indicator="return", part="num", now=NOW)
    ) == [bounced]

    scheme = scheme_save_version(
        code="wuye",
        name="物业考核",
        unit_kind=UnitKind.PROPERTY,
        weights={"on_time": 25, "satisfaction": 25, "reopen": 25, "complaint": 25},
    )
    rows = {r.unit.pk: r for r in ranking(scheme=scheme, start=START, end=END, now=NOW)}
    # on time 100, satisfied 100, no reopen 100, complaints 1 of 2 → 50
    assert rows[wuye["P-1"].pk].score == pytest.approx(87.5) and rows[wuye["P-1"].pk].rank == 1
    assert rows[wuye["P-2"].pk].score is None and rows[wuye["P-2"].pk].rank is None


def test_complaint_weight_is_refused_for_a_kind_it_does_not_apply_to(district):
    with pytest.raises(InvalidInput) as err:
        scheme_save_version(code="s", name="街道", unit_kind=UnitKind.STREET, weights={"complaint": 10})
    assert "weights" in err.value.errors
