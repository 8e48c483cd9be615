"""Each work queue's first screen costs a fixed number of queries, whatever the number of
waiting orders (issue #12: 5,000 waiting answer in ≤ 300 ms; bench/queue_pages.py
measures the time): a query per row (an N+1) fails here. And the submissions queue does
its heavy work — the duplicate search, the category ranking and picker — once, for the
selected report in the pane, not for every row."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from workorders.services import (
    work_order_approve,
    work_order_assign,
    work_order_reply,
    work_order_request_extension,
    work_order_return,
    work_order_sign,
    work_order_submit,
)

HX = {"HTTP_HX_REQUEST": "true"}

# Ceilings: the counts measured when this test was written, plus a little room. Session,
# user, memberships, nav counters, the page's aggregate count and its rows.
CEILING = 20


def _queries(client, url: str) -> tuple[int, str]:
    client.get(url)  # the process and nav-counter caches filled, as on a running server
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx), response.content.decode()


def _grows(client, url: str, add, *, first: int = 1, more: int = 4) -> int:
    """The query count of ``url`` with ``first`` waiting orders, and again after ``more``
    were added: the same, and under the ceiling."""
    for _ in range(first):
        add()
    before, _body = _queries(client, url)
    for _ in range(more):
        add()
    after, _body = _queries(client, url)
    assert after == before, f"{url}: {before} queries with {first} orders, {after} with {first + more}"
    assert after <= CEILING, f"{url}: {after} queries"
    return after


def _returned(district, log_call):
    order = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    return work_order_return(order=order, actor=district.user("handler_a"), reason="not_territory", note="不归我们管")


def _signed(district, log_call):
    order = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    return work_order_sign(order=order, actor=district.user("handler_a"))


def _extension(district, log_call):
    order = _signed(district, log_call)
    due = order.deadlines.get(stage="handle", state="open").due_at
    return work_order_request_extension(
        order=order, actor=district.user("handler_a"), proposed_due=due + timedelta(days=3), reason="等待材料"
    )


def _replied(district, log_call):
    return work_order_reply(order=_signed(district, log_call), actor=district.user("handler_a"), reply="已清理。")


def _callback(district, log_call):
    return work_order_approve(order=_replied(district, log_call), actor=district.user("dispatcher"))


@pytest.mark.parametrize(
    ("tab", "make"),
    [
        ("unrouted", lambda d, log_call: log_call()),
        ("returned", _returned),
        ("extensions", _extension),
        ("replies", _replied),
    ],
)
def test_each_desk_tab_costs_the_same_queries_at_any_length(login, district, log_call, tab, make):
    _grows(login("dispatcher"), f"{reverse('web:desk')}?tab={tab}", lambda: make(district, log_call))


def test_the_workbench_costs_the_same_queries_at_any_length(login, district, log_call):
    client = login("handler_a")
    add = lambda: work_order_assign(  # noqa: E731
        order=log_call(), actor=district.user("dispatcher"), unit=district.street_a
    )
    _grows(client, reverse("web:workbench"), add)
    _grows(client, reverse("web:workbench") + "?tab=sign", add, first=0, more=2)


def test_the_callback_queue_costs_the_same_queries_at_any_length(login, district, log_call):
    _grows(login("operator"), reverse("web:callbacks"), lambda: _callback(district, log_call))


def _submit(district, i=[0]):  # noqa: B006 - a counter across calls: each report its own caller
    i[0] += 1
    return work_order_submit(
        channel="qr",
        title="垃圾满了",
        description=f"幸福里小区门口垃圾桶满了，第{i[0]}次反映。",
        caller_phone=f"1380000{i[0]:04d}",
        community=district.community_a,
    )


def test_the_submissions_queue_costs_the_same_queries_at_any_length(login, district):
    # From two reports, so the selected one has a duplicate to offer in both counts (the
    # offered orders are loaded whole in one query; with nothing to offer there is none).
    _grows(login("operator"), reverse("web:submissions"), lambda: _submit(district), first=2)


def test_submissions_search_duplicates_once_for_the_selected_report_not_per_row(login, district, monkeypatch):
    from workorders.services import duplicates as operator  # the search work_order_likely_duplicates runs

    reports = [_submit(district) for _ in range(4)]
    searched = []
    real = operator.work_order_find_duplicates

    def counting(**kwargs):
        searched.append(kwargs["exclude"].number)
        return real(**kwargs)

    monkeypatch.setattr(operator, "work_order_find_duplicates", counting)
    client = login("operator")
    body = client.get(reverse("web:submissions")).content.decode()
    assert searched == [reports[0].number]  # the first, oldest report: the selected one
    assert all(f'data-number="{r.number}"' in body for r in reports)  # every report listed
    # The pane holds the one accept form with its category picker; the others are rows.
    assert body.count('name="category"') == 1
    assert "可能重复" in body and f'name="into" value="{reports[1].number}"' in body
    # Selecting another row (j/k, a click) loads its pane alone.
    searched.clear()
    pane = client.get(reverse("web:submission_pane", args=[reports[2].number]), **HX)
    assert searched == [reports[2].number]
    text = pane.content.decode()
    assert text.startswith("<section") and f'data-number="{reports[2].number}"' in text
    assert f'action="{reverse("web:order_act", args=[reports[2].number, "accept"])}"' in text


def test_a_report_taken_meanwhile_says_so_in_the_pane(login, district):
    from workorders.services import work_order_reject

    report = _submit(district)
    work_order_reject(order=report, actor=district.user("operator"), reason="重复提交")
    pane = login("operator").get(reverse("web:submission_pane", args=[report.number]), **HX).content.decode()
    assert 'role="alert"' in pane and "确认受理" not in pane


def test_an_action_from_the_pane_returns_to_the_same_page_of_the_queue(login, district, monkeypatch):
    monkeypatch.setattr("web.views.submissions.PAGE", 2)
    reports = [_submit(district) for _ in range(3)]
    client = login("operator")
    first = client.get(reverse("web:submissions"))
    cursor = first.context["next_cursor"]
    assert [o.number for o in first.context["rows"]] == [reports[0].number, reports[1].number]
    second = client.get(reverse("web:submissions"), {"after": cursor}).content.decode()
    back = f"{reverse('web:submissions')}?after={cursor}"
    assert f'name="next" value="{back}"' in second and f'data-number="{reports[2].number}"' in second
    response = client.post(
        reverse("web:order_act", args=[reports[2].number, "reject"]),
        {"expected_version": reports[2].version, "reason": "重复提交", "next": back},
    )
    assert response.status_code == 302 and response["Location"] == back


def test_callbacks_render_one_form_in_the_pane_and_move_on_to_the_next_in_line(login, district, log_call):
    orders = [_callback(district, log_call) for _ in range(3)]  # same deadline rule: created order
    client = login("operator")
    body = client.get(reverse("web:callbacks")).content.decode()
    assert all(f'data-number="{o.number}"' in body for o in orders)
    assert body.count('name="contacted"') == 2  # the one form's two radio buttons, not one form per row
    assert f'id="pane" class="pane" aria-label="工单详情" tabindex="-1" data-number="{orders[0].number}"' in body
    pane = client.get(reverse("web:callback_pane", args=[orders[1].number]), **HX).content.decode()
    assert pane.startswith("<section") and "请向市民宣读办理结果" in pane and "已清理。" in pane
    # Recording it goes back to the queue with the next order's pane.
    nxt = f"{reverse('web:callbacks')}?order={orders[2].number}"
    assert f'name="next" value="{nxt}"' in pane
    response = client.post(
        reverse("web:order_act", args=[orders[1].number, "callback"]),
        {"expected_version": orders[1].version, "contacted": "no", "next": nxt},
        follow=True,
    )
    assert response.context["pane"]["order"].pk == orders[2].pk


def test_a_callback_recorded_meanwhile_says_so_in_the_pane(login, district, log_call):
    order = _callback(district, log_call)
    client = login("operator")
    client.post(
        reverse("web:order_act", args=[order.number, "callback"]),
        {"expected_version": order.version, "contacted": "yes", "resolution": "solved", "satisfaction": "satisfied"},
    )
    pane = client.get(reverse("web:callback_pane", args=[order.number]), **HX).content.decode()
    assert 'role="alert"' in pane and "记录回访结果" not in pane
