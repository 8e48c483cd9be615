"""The demo district has property companies with orders, visible on the 物业考核 page."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from governance.models import ComplaintCategory, Scheme
from grids.models import OrgUnit, ServiceArea, UnitKind
from workorders.demo import seed
from workorders.models import WorkOrder
from workorders.scope import orders_visible_to


@pytest.fixture(autouse=True)
def _demo_debug(settings):
    settings.DEBUG = True


@pytest.mark.django_db
def test_demo_property_companies_get_their_estates_orders_and_are_ranked(client):
    call_command("seed_demo", orders=0, days=10, stdout=io.StringIO())
    companies = OrgUnit.objects.filter(kind=UnitKind.PROPERTY)
    assert companies.count() == 2
    # 绿城物业 serves a 小区 in a second community, outside its home in the tree.
    lvcheng = companies.get(code="P02")
    assert ServiceArea.objects.filter(unit=lvcheng).exclude(community=lvcheng.parent).exists()
    assert Scheme.objects.get(unit_kind=UnitKind.PROPERTY, is_active=True).weights["complaint"] > 0
    assert ComplaintCategory.objects.filter(category__name="物业服务").exists()

    units = {u.code: u for u in OrgUnit.objects.all()}
    categories = list(seed.seed_categories(units))
    users = seed.seed_users(units)
    made = seed.seed_property_orders(count=20, days=20, units=units, categories=categories, users=users)
    assert made >= 15
    assert WorkOrder.objects.filter(lead_unit__kind=UnitKind.PROPERTY).count() >= 10

    client.force_login(get_user_model().objects.get(username="street"))  # 滨河街道
    body = client.get(reverse("governance:property"), {"month": f"{timezone.localdate():%Y-%m}"}).content.decode()
    assert "滨河湾物业服务中心" in body and "绿城物业柳荫项目部" in body
    # The demo's 物业 login works on its own company's orders and nobody else's.
    wuye = get_user_model().objects.get(username="wuye")
    own = WorkOrder.objects.filter(Q(lead_unit__code="P01") | Q(current_unit__code="P01"))
    assert own.exists()
    assert set(orders_visible_to(wuye).values_list("pk", flat=True)) == set(own.values_list("pk", flat=True))
