"""The fast presenters must say exactly what the documented serializers say."""

import json

from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from api import presenters
from api import serializers as s
from workorders.models import WorkOrder
from workorders.services import work_order_assign, work_order_intake, work_order_merge, work_order_submit


def same(a, b) -> None:
    assert json.loads(JSONRenderer().render(a)) == json.loads(JSONRenderer().render(b))


def test_presenters_match_serializers_for_every_shape(log_call, district):
    plain = log_call()
    work_order_assign(order=plain, actor=district.user("dispatcher"), unit=district.street_a)
    secret = log_call(caller_confidential=True, lat=None, lng=None, address="", category=None)
    web = work_order_submit(channel="web", title="噪音", description="夜间施工", caller_phone="13700000000")
    merged = work_order_merge(order=web, actor=district.user("operator"), into=plain)
    handed_in = work_order_intake(  # 110 handed it over (community.EmergencyTransferIn)
        channel="hotline",
        actor=district.user("operator"),
        description="110转来：楼上噪音",
        caller_phone="13812345678",
        auto_dispatch=False,
        transferred_from="110",
        transfer_reference="JJ-1",
    )
    for user in (district.user("operator"), district.user("handler_a")):
        request = APIRequestFactory().get("/")
        request.user = user
        for order in WorkOrder.objects.select_related(
            "category__parent", "current_unit", "lead_unit", "street", "community", "grid", "parent"
        ).filter(pk__in=[plain.pk, secret.pk, merged.pk, handed_in.pk]):
            context = {"request": request}
            same(presenters.order_summary(order, user), s.WorkOrderListSerializer(order, context=context).data)
            same(presenters.order_detail(order, user), s.WorkOrderSerializer(order, context=context).data)
            same(presenters.order_created(order, user), s.CreatedWorkOrderSerializer(order, context=context).data)
