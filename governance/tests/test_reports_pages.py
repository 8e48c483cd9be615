"""Monthly reports (签批 before publication, the scheme version stated) and the pages."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from governance.models import Appeal, Report
from governance.services import report_draft, report_sign
from governance.tests.conftest import MONTH, T0
from workorders.errors import InvalidInput, NotAllowed
from workorders.models import Deadline

pytestmark = pytest.mark.django_db


def test_report_is_signed_by_a_center_lead_before_units_see_it(client, district, handled, street_scheme):
    handled()
    report = report_draft(scheme=street_scheme, month=T0.date(), actor=district.user("supervisor"))
    assert report.data["scheme"]["version"] == street_scheme.version
    assert {r["name"] for r in report.data["rows"]} == {"甲街道", "乙街道"}
    client.force_login(district.user("handler_a"))
    assert client.get(reverse("governance:report_file", args=[report.pk, "xlsx"])).status_code == 404
    with pytest.raises(NotAllowed):
        report_sign(report=report, actor=district.user("dispatcher"))
    report_sign(report=report, actor=district.user("supervisor"))
    with pytest.raises(InvalidInput):
        report_sign(report=report, actor=district.user("supervisor"))
    response = client.get(reverse("governance:report_file", args=[report.pk, "xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert "第 1 版" in text and "签批" in text and "甲街道" in text
    pdf = client.get(reverse("governance:report_file", args=[report.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_unit_report_holds_only_that_unit(district, handled, street_scheme):
    handled()
    report = report_draft(
        scheme=street_scheme, month=T0.date(), actor=district.user("supervisor"), unit=district.street_b
    )
    assert [r["name"] for r in report.data["rows"]] == ["乙街道"]
    with pytest.raises(NotAllowed):
        report_draft(scheme=street_scheme, month=T0.date(), actor=district.user("handler_a"))


def test_score_page_links_every_number_to_its_orders(client, district, handled, street_scheme):
    late = handled(sign_after=timedelta(hours=5))
    client.force_login(district.user("supervisor"))
    page = client.get(reverse("governance:index"), {"kind": "street", "month": MONTH})
    assert page.status_code == 200
    html = page.content.decode()
    assert "ind=response" in html and "不计入任何指标" in html
    url = reverse("governance:orders")
    params = {"kind": "street", "month": MONTH, "unit": district.street_a.pk, "ind": "response", "part": "all"}
    listed = client.get(url, params)
    assert late.number in listed.content.decode()
    # Street B's handler may read neither street A's scores nor the orders behind them.
    client.force_login(district.user("handler_b"))
    assert "甲街道" not in client.get(reverse("governance:index"), {"kind": "street", "month": MONTH}).content.decode()
    assert client.get(url, params).status_code == 404


def test_appeal_filed_and_decided_through_the_pages(client, district, handled, street_scheme):
    late = handled(sign_after=timedelta(hours=5))
    breach = Deadline.objects.get(order=late, stage="sign")
    client.force_login(district.user("handler_a"))
    form = client.get(reverse("governance:appeal_new"), {"number": late.number})
    assert f"breach:{breach.pk}" in form.content.decode()
    # Filing today is past the window of an October breach: the page says so and saves nothing.
    refused = client.post(
        reverse("governance:appeal_new"),
        {"number": late.number, "subject": f"breach:{breach.pk}", "reason": "账号停用"},
    )
    assert refused.status_code == 200 and "申诉期限" in refused.content.decode()
    assert not Appeal.objects.exists()


def test_returns_queue_is_the_centers(client, district):
    client.force_login(district.user("handler_a"))
    assert client.get(reverse("governance:returns")).status_code == 404
    client.force_login(district.user("dispatcher"))
    assert client.get(reverse("governance:returns")).status_code == 200


def test_report_ids_are_not_guessable_into_drafts(client, district, street_scheme):
    report = Report.objects.create(
        period_start=T0.date().replace(day=1),
        period_end=T0.date().replace(day=1, month=11),
        scheme=street_scheme,
        data={},
        created_by=district.user("supervisor"),
        created_at=T0,
    )
    client.force_login(district.user("supervisor_a"))
    assert client.get(reverse("governance:report_file", args=[report.pk, "pdf"])).status_code == 404


def test_pages_and_event_labels_in_english(client, district, street_scheme):
    from django.utils import translation

    from grids.models import UnitKind
    from workorders.transitions import TRANSITIONS

    client.force_login(district.user("supervisor"))
    page = client.get(reverse("governance:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Assessment scores" in page and "Response rate" in page and "考核得分" not in page
    with translation.override("en"):
        assert str(TRANSITIONS["appeal_file"].label) == "File an appeal"
        assert str(TRANSITIONS["center_redispatch"].label) == "Send on (fallback)"
        assert str(UnitKind.PROPERTY.label) == "Property company / utility"
    translation.activate("zh-hans")


@pytest.mark.parametrize(
    "url",
    [
        "/governance/orders/?unit=abc&ind=response&part=all",
        "/governance/orders/?unit=1&ind=nope",
        "/governance/?kind=zzz&month=20xx-99&scheme=x",
        "/governance/what-if/?a=x&b=%00&month=bad",
        "/governance/appeals/new/?number=NOPE",
        "/governance/reports/999.exe",
    ],
)
def test_bad_parameters_answer_404_or_a_page_never_500(client, district, url):
    client.force_login(district.user("supervisor"))
    assert client.get(url).status_code in (200, 400, 404)


def test_bad_report_form_keeps_the_page(client, district):
    client.force_login(district.user("supervisor"))
    response = client.post(reverse("governance:reports"), {"scheme": "abc", "month": "2026-13"})
    assert response.status_code == 200 and "请选择考核方案" in response.content.decode()
