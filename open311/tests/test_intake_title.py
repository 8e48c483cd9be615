"""One rule for the title an order gets when none is typed (workorders.services.intake_title):
the description's first line, cut to the same length whether the complaint came by the
resident's page, the operator's console, a patrol report, a building poster or Open311
(which used to cut at 50 where the pages cut at 30)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from open311.services import open311_api_key_create
from web.tests.test_operator import intake
from workorders.models import WorkOrder
from workorders.services import DERIVED_TITLE_LENGTH

FIRST_LINE = (
    "幸福里小区东门外人行道上每天傍晚都有十几个流动摊贩摆摊卖水果和熟食，油烟很大，行人只能走机动车道，非常危险"
)
DESCRIPTION = FIRST_LINE + "\n已经反映过好几次了。"
EXPECTED = FIRST_LINE[:DERIVED_TITLE_LENGTH]


def test_the_derived_title_has_one_length_on_every_channel(client, district):
    assert len(FIRST_LINE) > 50 and DERIVED_TITLE_LENGTH == 30

    key = open311_api_key_create(name="邻市 311", user=district.user("grid_worker_a"))[1]
    open311 = Client().post(
        "/open311/v2/requests.json",
        {"api_key": key, "service_code": "0101", "lat": "39.905", "long": "116.305", "description": DESCRIPTION},
    )
    assert open311.status_code == 201

    page = client.post(
        reverse("web:public_report_at", args=[district.community_a.code]),
        {"description": DESCRIPTION, "caller_phone": "13600001111"},
    )
    assert page.status_code == 302

    client.force_login(district.user("operator"))
    console = client.post(reverse("web:ops"), intake(description=DESCRIPTION, title=""))
    assert console.status_code == 302

    titles = {o.channel: o.title for o in WorkOrder.objects.all()}
    assert titles == {"open311": EXPECTED, "qr": EXPECTED, "hotline": EXPECTED}


def test_a_typed_title_is_kept_and_a_blank_first_line_is_skipped(district):
    from workorders.services import intake_title, work_order_intake

    assert intake_title("\n  \n  楼道灯坏了  \n第二行") == "楼道灯坏了"
    order = work_order_intake(channel="web", title=" 路灯 ", description=DESCRIPTION, caller_phone="13600001111")
    assert order.title == "路灯"
