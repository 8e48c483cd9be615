"""The demo district's 物业考核: routing rules that send 小区 matters to the property
company serving the 小区, the categories counted as complaints about it, and a scheme.
Idempotent (matched by category and code)."""

from __future__ import annotations

from dispatch.models import RoutingRule, RuleTarget
from governance.models import ComplaintCategory, Scheme
from governance.services import scheme_save_version
from grids.models import Service, UnitKind
from workorders.demo import data
from workorders.models import Category

WEIGHTS = {"response": 15, "on_time": 25, "satisfaction": 30, "reopen": 10, "complaint": 20}


def seed_property_governance() -> None:
    for category in Category.objects.filter(name__in=data.PROPERTY_ROUTED, parent__isnull=False):
        RoutingRule.objects.get_or_create(
            category=category,
            target=RuleTarget.SERVING_UNIT,
            service=Service.PROPERTY,
            defaults={"note": "小区内事项派给服务该小区的物业；无物业的小区由街道兜底"},
        )
    for category in Category.objects.filter(name__in=data.PROPERTY_COMPLAINTS, parent__isnull=False):
        ComplaintCategory.objects.get_or_create(
            category=category, service=Service.PROPERTY, defaults={"note": "投诉物业服务"}
        )
    if not Scheme.objects.filter(unit_kind=UnitKind.PROPERTY).exists():
        scheme_save_version(
            code="wuye",
            name="物业考核",
            unit_kind=UnitKind.PROPERTY,
            weights=WEIGHTS,
            note="按时办结、满意、重办和居民投诉",
        )
