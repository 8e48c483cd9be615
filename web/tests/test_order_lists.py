"""The supervisor's order lists (issue 14): the orders behind a figure, a campaign's
orders and the order filter page show 50 orders a page by nearest deadline, with
previous/next links that reach every order; their count stops at a cap and says so;
each row costs no query of its own; titles are masked for the viewer as before."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.services import campaign_create
from web import order_list
from workorders.models import WorkOrder
from workorders.services import work_order_assign

NUMBER = re.compile(r'<a href="/orders/([^/"]+)/">')


def _numbers(body: str) -> list[str]:
    return NUMBER.findall(body)


def _next(body: str) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)"', body)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def many(district, log_call):
    """PAGE_SIZE + 5 orders of street A, each assigned (so each has a deadline)."""
    dispatcher = district.user("dispatcher")
    orders = [
        work_order_assign(order=log_call(), actor=dispatcher, unit=district.street_a)
        for _ in range(order_list.PAGE_SIZE + 5)
    ]
    return orders


def _walk(client, url: str) -> list[list[str]]:
    """The numbers on each page, following the next links from ``url``."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        pages.append(_numbers(body))
        url = _next(body)
    return pages


@pytest.mark.parametrize(
    "username, url",
    [
        ("supervisor", "/orders/?figure=volume"),
        ("dispatcher", "/campaigns/filters/"),
    ],
)
def test_a_list_shows_fifty_a_page_and_the_next_link_reaches_every_order(login, many, username, url):
    client = login(username)
    pages = _walk(client, url)
    assert [len(p) for p in pages] == [order_list.PAGE_SIZE, 5]
    assert sorted(n for p in pages for n in p) == sorted(o.number for o in many)
    first = client.get(url).content.decode()
    assert f"共 {len(many)} 件" in first and f"第 1–{order_list.PAGE_SIZE} 件" in first
    second = client.get(_next(first)).content.decode()
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert f"第 {order_list.PAGE_SIZE + 1}–{len(many)} 件" in second


def test_a_campaigns_orders_come_by_page_too(login, district, many):
    today = timezone.localdate()
    campaign = campaign_create(
        name="背街小巷清零行动",
        owner=district.user("supervisor"),
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=9),
        units=[district.street_a],
    )
    pages = _walk(login("supervisor"), reverse("campaigns:orders", args=[campaign.pk]) + "?part=open")
    assert [len(p) for p in pages] == [order_list.PAGE_SIZE, 5]
    assert sorted(n for p in pages for n in p) == sorted(o.number for o in many)


def test_pages_keep_the_nearest_deadline_first(login, many):
    """Across the page break too: the first page holds the nearest deadlines."""
    soonest = list(WorkOrder.objects.order_by("due_at", "created_at").values_list("number", flat=True))
    pages = _walk(login("supervisor"), "/orders/?figure=volume")
    assert [n for p in pages for n in p] == soonest


def test_the_count_stops_at_the_cap_and_says_more_than(login, many, monkeypatch):
    cap = order_list.PAGE_SIZE + 2  # under the 55 orders, over one page
    monkeypatch.setattr(order_list, "COUNT_CAP", cap)
    client = login("supervisor")
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/orders/?figure=volume").content.decode()
    assert f"超过 {cap} 件" in body and f"共 {len(many)} 件" not in body
    assert len(_numbers(body)) == order_list.PAGE_SIZE
    # The count is a COUNT over at most cap + 1 rows, and no query counts over a window.
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and "workorders_workorder" in q["sql"]]
    assert counts and all(f"LIMIT {cap + 1}" in sql for sql in counts), counts
    assert not any("OVER ()" in q["sql"] for q in ctx.captured_queries)
    english = client.get("/orders/?figure=volume", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"more than {cap} orders" in english and 'rel="next"' in english and ">Next" in english


def test_a_page_costs_the_same_queries_for_5_or_50_rows(login, district, log_call, many):
    client = login("supervisor")
    client.get("/orders/?figure=volume")  # per-process caches warm
    with CaptureQueriesContext(connection) as full:
        assert len(_numbers(client.get("/orders/?figure=volume").content.decode())) == order_list.PAGE_SIZE
    with CaptureQueriesContext(connection) as short:
        assert len(_numbers(client.get("/orders/?figure=volume&page=2").content.decode())) == 5
    assert len(full.captured_queries) == len(short.captured_queries)


def test_titles_are_masked_for_the_viewer_as_before(login, district, log_call):
    order = work_order_assign(
        order=log_call(title="张三13812345678反映占道"), actor=district.user("dispatcher"), unit=district.street_a
    )
    for username, url in [("supervisor", "/orders/?figure=volume"), ("dispatcher", "/campaigns/filters/")]:
        body = login(username).get(url).content.decode()
        assert order.number in body
        assert "13812345678" not in body and "138****5678" in body and "[姓名]" in body


OVERDUE_LIGHT = '<span class="light light-overdue" title="超时"><span class="dot" aria-hidden="true"></span>超时</span>'


@pytest.mark.parametrize("page", ["/orders/?figure=volume", "/unit/"])
def test_a_row_shows_the_light_and_status_the_old_tags_showed(login, district, log_call, page):
    """The prepared cells draw what the per-row template tags drew (web/_light.html's
    markup, get_status_display), on the lists and on the workbench."""
    late = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    WorkOrder.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=3))
    late.refresh_from_db()
    body = login("supervisor").get(page).content.decode()
    # The countdown beside the light moves with the clock: only its presence is compared.
    assert OVERDUE_LIGHT + ' <small class="countdown">超 3小时' in body
    assert f"<td>{late.get_status_display()}</td>" in body


def test_a_rates_orders_are_read_as_a_set_planned_on_its_own(login, district, log_call):
    """The orders behind a rate are ``pk IN`` its counted rows: the rows' keys are read
    first in a CTE of their own (the whole set: web.order_list._keyed_page; a narrowed
    one: a materialized copy of the set), so that the page's LIMIT cannot lead
    PostgreSQL to sort every order and probe the subquery per order (13-21 s at a
    million). The list is the same."""
    from workorders.services import work_order_answer_now

    answered = work_order_answer_now(order=log_call(), actor=district.user("operator"), answer="已解答")
    logged = log_call()
    client = login("supervisor")
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/orders/?figure=direct_answer").content.decode()
    assert sorted(_numbers(body)) == sorted([answered.number, logged.number])
    assert any(q["sql"].startswith("WITH k ") for q in ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        assert _numbers(client.get("/orders/?figure=direct_answer&part=num").content.decode()) == [answered.number]
    assert any(q["sql"].startswith("WITH k ") for q in ctx.captured_queries)
    narrowed = f"/orders/?figure=direct_answer&part=num&category={district.cat_territorial.pk}"
    with CaptureQueriesContext(connection) as ctx:
        assert _numbers(client.get(narrowed).content.decode()) == [answered.number]
    assert any("AS MATERIALIZED" in q["sql"] for q in ctx.captured_queries)
