"""物业: a property company under a community handles its 小区's orders like any unit and
gets its own monthly assessment from them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from governance.figures import orders_behind_score, unit_figures
from governance.scoring import period_bounds, ranking
from governance.services import scheme_save_version
from governance.tests.conftest import T0
from grids.models import OrgUnit, Role, UnitKind
from hotline.testing import make_user
from workorders.errors import InvalidInput
from workorders.services import (
    work_order_approve,
    work_order_assign,
    work_order_reply,
    work_order_return_up,
    work_order_sign,
    work_order_sub_dispatch,
)
from workorders.services.review import work_order_callback

pytestmark = pytest.mark.django_db

START, END = period_bounds("month", T0.date())
NOW = END + timedelta(days=1)


@pytest.fixture
def estate(district):
    unit = OrgUnit.objects.create(code="P-A-1", name="幸福里物业", kind=UnitKind.PROPERTY, parent=district.community_a)
    make_user("property_a", unit, Role.HANDLER)
    return unit


def _to_property(district, log_call, estate, t0):
    order = log_call(now=t0)
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a, now=t0)
    work_order_sign(order=order, actor=district.user("handler_a"), now=t0 + timedelta(minutes=5))
    work_order_sub_dispatch(
        order=order, actor=district.user("handler_a"), unit=district.community_a, now=t0 + timedelta(minutes=6)
    )
    work_order_sign(order=order, actor=district.user("handler_community_a"), now=t0 + timedelta(minutes=7))
    work_order_sub_dispatch(
        order=order, actor=district.user("handler_community_a"), unit=estate, now=t0 + timedelta(minutes=8)
    )
    return order


def test_a_property_company_sits_only_under_a_community(district):
    with pytest.raises(ValidationError):
        OrgUnit(code="P-X", name="某物业", kind=UnitKind.PROPERTY, parent=district.street_a).full_clean()


def test_property_company_handles_its_order_and_is_assessed(district, log_call, estate):
    from django.contrib.auth import get_user_model

    worker = get_user_model().objects.get(username="property_a")
    order = _to_property(district, log_call, estate, T0)
    late = T0 + timedelta(hours=5)  # signed long after its 30-minute limit
    work_order_sign(order=order, actor=worker, now=late)
    work_order_reply(order=order, actor=worker, reply="已清理楼道堆物", now=late + timedelta(hours=1))
    work_order_approve(order=order, actor=district.user("dispatcher"), now=late + timedelta(hours=2))
    work_order_callback(
        order=order,
        actor=district.user("operator"),
        contacted=True,
        resolution="solved",
        satisfaction="satisfied",
        now=late + timedelta(hours=3),
    )
    bounced = _to_property(district, log_call, estate, T0 + timedelta(days=1))
    work_order_return_up(order=bounced, actor=worker, note="不属物业管理范围", now=T0 + timedelta(days=1, hours=1))

    figs = unit_figures(start=START, end=END, kind=UnitKind.PROPERTY, now=NOW)[estate.pk]
    # both signs late: the first signed after 5 h, the second handed back up after an hour
    assert (figs["response"].numerator, figs["response"].denominator) == (0, 2)
    assert (figs["satisfaction"].numerator, figs["satisfaction"].denominator) == (1, 1)
    assert (figs["return"].numerator, figs["return"].denominator) == (1, 2)
    listed = orders_behind_score(start=START, end=END, unit=estate, indicator="return", part="num", now=NOW)
    assert list(listed) == [bounced]
    scheme = scheme_save_version(
        code="wuye", name="物业考核", unit_kind=UnitKind.PROPERTY, weights={"satisfaction": 60, "return": 40}
    )
    [row] = ranking(scheme=scheme, start=START, end=END, now=NOW)
    assert row.unit == estate and row.score == pytest.approx(0.6 * 100 + 0.4 * 50)


def test_a_department_matter_is_not_pushed_down_to_a_property_company(district, log_call, estate):
    order = log_call(category=district.cat_department)
    with pytest.raises(InvalidInput):
        work_order_assign(order=order, actor=district.user("dispatcher"), unit=estate)
