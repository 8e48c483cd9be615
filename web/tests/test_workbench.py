from django.urls import reverse

from workorders.choices import Status
from workorders.models import WorkOrder
from workorders.services import work_order_sign


def test_workbench_lists_the_units_orders_with_lights(login, assigned):
    body = login("handler_a").get(reverse("web:workbench")).content.decode()
    assert assigned.number in body and "light-ok" in body and "剩" in body
    assert assigned.number not in login("handler_b").get(reverse("web:workbench")).content.decode()


def test_workbench_filters_by_light(login, assigned):
    client = login("handler_a")
    assert assigned.number not in client.get(reverse("web:workbench"), {"light": "overdue"}).content.decode()
    assert assigned.number in client.get(reverse("web:workbench"), {"light": "ok"}).content.decode()


def test_bulk_sign_signs_the_chosen_orders_and_reports_stale_ones(login, district, log_call):
    from workorders.services import work_order_assign

    orders = [
        work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a) for _ in range(3)
    ]
    stale = orders[2]
    client = login("handler_a")
    response = client.post(
        reverse("web:bulk_sign"),
        {"orders": [f"{o.pk}:{o.version}" for o in orders[:2]] + [f"{stale.pk}:{stale.version - 1}"]},
        follow=True,
    )
    body = response.content.decode()
    assert "已签收 2 件" in body and "已被他人更新" in body
    assert [WorkOrder.objects.get(pk=o.pk).status for o in orders] == [Status.IN_PROGRESS] * 2 + [Status.ASSIGNED]


def test_order_page_offers_only_the_actions_the_user_may_take(login, assigned):
    body = login("handler_a").get(reverse("web:order", args=[assigned.number])).content.decode()
    assert f"/orders/{assigned.number}/do/sign/" in body
    assert f"/orders/{assigned.number}/do/return/" in body
    assert f"/orders/{assigned.number}/do/approve/" not in body
    assert f"/orders/{assigned.number}/do/reply/" not in body  # not signed yet
    # the dispatcher sees no handler actions on an assigned order
    body = login("dispatcher").get(reverse("web:order", args=[assigned.number])).content.decode()
    assert "/do/sign/" not in body and "/do/return/" not in body


def test_an_order_outside_the_users_scope_is_404(login, assigned):
    client = login("handler_b")
    assert client.get(reverse("web:order", args=[assigned.number])).status_code == 404
    response = client.post(reverse("web:order_act", args=[assigned.number, "sign"]), {"expected_version": 2})
    assert response.status_code == 404
    assigned.refresh_from_db()
    assert assigned.status == Status.ASSIGNED


def test_caller_is_masked_for_the_handling_unit(login, assigned):
    body = login("handler_a").get(reverse("web:order", args=[assigned.number])).content.decode()
    assert "138****5678" in body and "13812345678" not in body
    body = login("operator").get(reverse("web:order", args=[assigned.number])).content.decode()
    assert "13812345678" in body


def test_a_stale_page_gets_a_clear_conflict_and_keeps_the_typed_reply(login, district, assigned):
    work_order_sign(order=assigned, actor=district.user("handler_a"))
    client = login("handler_a")
    # the page was opened before the sign: it still carries the old version
    response = client.post(
        reverse("web:order_act", args=[assigned.number, "reply"]),
        {"expected_version": assigned.version, "reply": "已清理现场并拍照。"},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "已被他人更新" in body and "已清理现场并拍照。" in body
    assert WorkOrder.objects.get(pk=assigned.pk).status == Status.IN_PROGRESS


def test_an_empty_reply_is_refused_with_a_message(login, district, assigned):
    order = work_order_sign(order=assigned, actor=district.user("handler_a"))
    response = login("handler_a").post(
        reverse("web:order_act", args=[order.number, "reply"]), {"expected_version": order.version, "reply": "  "}
    )
    assert response.status_code == 400 and "该字段是必填项" in response.content.decode()


def test_handler_signs_and_replies_from_the_order_page(login, assigned):
    client = login("handler_a")
    url = reverse("web:order_act", args=[assigned.number, "sign"])
    assert client.post(url, {"expected_version": assigned.version}).status_code == 302
    order = WorkOrder.objects.get(pk=assigned.pk)
    response = client.post(
        reverse("web:order_act", args=[order.number, "reply"]),
        {"expected_version": order.version, "reply": "已劝离摊贩。"},
    )
    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=assigned.pk).status == Status.REPLIED


def test_return_with_a_coded_reason(login, assigned):
    response = login("handler_a").post(
        reverse("web:order_act", args=[assigned.number, "return"]),
        {"expected_version": assigned.version, "reason": "not_territory", "note": "不在本街道。"},
    )
    assert response.status_code == 302 and response.url == reverse("web:workbench")  # it left our scope
    assert WorkOrder.objects.get(pk=assigned.pk).status == Status.RETURNED


def test_pages_are_available_in_english(login, assigned):
    client = login("handler_a")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("web:workbench")).content.decode()
    assert "Our unit&#x27;s orders" in body or "Our unit's orders" in body
    assert "Sign selected" in body
    # The tabs too (their labels were translated once, at import, in Chinese).
    assert "All open" in body and "Due soon" in body and "全部待办" not in body


def test_bulk_sign_never_redirects_off_site(login, assigned):
    response = login("handler_a").post(
        reverse("web:bulk_sign"), {"orders": [f"{assigned.pk}:{assigned.version}"], "next": "//evil.example/"}
    )
    assert response.status_code == 302 and response.url == reverse("web:workbench")


def test_workbench_tabs_count_every_order_and_split_sign_doing_late(login, district, log_call):
    from datetime import timedelta

    from django.utils import timezone

    from workorders.services import work_order_assign, work_order_urge

    disp = district.user("dispatcher")
    to_sign = [work_order_assign(order=log_call(), actor=disp, unit=district.street_a) for _ in range(2)]
    doing = work_order_sign(order=to_sign.pop(), actor=district.user("handler_a"))
    work_order_urge(order=doing, actor=district.user("supervisor"), note="今天内联系市民")
    late = work_order_assign(order=log_call(), actor=disp, unit=district.street_a)
    WorkOrder.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    client = login("handler_a")
    body = client.get(reverse("web:workbench")).content.decode()
    for label, n in (("全部待办", 3), ("待签收", 2), ("办理中", 1), ("即将超时", 0), ("超时", 1)):
        assert f">{n}</span>" in body.split(f">{label} <span", 1)[1][:40]
    assert "督办 1 次" in body
    sign_tab = client.get(reverse("web:workbench"), {"tab": "sign"}).content.decode()
    assert to_sign[0].number in sign_tab and late.number in sign_tab and doing.number not in sign_tab
    overdue = client.get(reverse("web:workbench"), {"tab": "overdue"}).content.decode()
    assert late.number in overdue and to_sign[0].number not in overdue


def test_no_sign_checkbox_on_orders_the_user_cannot_sign(login, district, assigned):
    from workorders.services import work_order_sub_dispatch

    order = work_order_sign(order=assigned, actor=district.user("handler_a"))
    order = work_order_sub_dispatch(order=order, actor=district.user("handler_a"), unit=district.community_a)
    street = login("handler_a").get(reverse("web:workbench")).content.decode()
    assert order.number in street and f'value="{order.pk}:' not in street and "批量签收所选" not in street
    community = login("handler_community_a").get(reverse("web:workbench")).content.decode()
    assert f'value="{order.pk}:{order.version}"' in community and "批量签收所选" in community


def test_workbench_pages_by_keyset(login, district, log_call, monkeypatch):
    from workorders.services import work_order_assign

    monkeypatch.setattr("web.views.workbench.PAGE", 2)
    orders = [
        work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a) for _ in range(3)
    ]
    client = login("handler_a")
    first = client.get(reverse("web:workbench"))
    cursor = first.context["next_cursor"]
    second = client.get(reverse("web:workbench"), {"after": cursor})
    seen = [o.number for o in first.context["orders"]] + [o.number for o in second.context["orders"]]
    assert sorted(seen) == sorted(o.number for o in orders) and second.context["next_cursor"] is None
    assert client.get(reverse("web:workbench"), {"after": "%%%"}).status_code == 400


def test_sub_dispatch_is_offered_only_where_there_are_units_below(login, district, assigned):
    from workorders.services import work_order_sub_dispatch

    order = work_order_sign(order=assigned, actor=district.user("handler_a"))
    street = login("handler_a").get(reverse("web:order", args=[order.number])).content.decode()
    assert "/do/sub_dispatch/" in street and "甲街道" in street.split("s-deadlines", 1)[1]
    order = work_order_sub_dispatch(order=order, actor=district.user("handler_a"), unit=district.community_a)
    order = work_order_sign(order=order, actor=district.user("handler_community_a"))
    order = work_order_sub_dispatch(order=order, actor=district.user("handler_community_a"), unit=district.grid_a)
    order = work_order_sign(order=order, actor=district.user("handler_grid_a"))
    grid = login("handler_grid_a").get(reverse("web:order", args=[order.number])).content.decode()
    assert "/do/reply/" in grid and "/do/sub_dispatch/" not in grid
    # The deadline table names each stage's unit (three sign stages are told apart).
    table = grid.split("s-deadlines", 1)[1].split("</table>", 1)[0]
    assert "甲街道" in table and "甲一社区" in table and "甲一1号网格" in table


def test_each_light_filter_lists_exactly_the_orders_of_that_light(login, district, log_call):
    """ok / warning / overdue as light() reads them, asked of each order's own timers:
    no GROUP BY of the nearest warning time over the unit's orders (issue 14)."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from workorders.choices import DeadlineState
    from workorders.models import Deadline
    from workorders.services import work_order_assign

    ok, warning, overdue = (
        work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a) for _ in range(3)
    )
    past = timezone.now() - timedelta(hours=1)
    Deadline.objects.filter(order=warning, state=DeadlineState.OPEN).update(warn_at=past)
    WorkOrder.objects.filter(pk=overdue.pk).update(due_at=past)
    client = login("handler_a")
    for value, expected in (("ok", ok), ("warning", warning), ("overdue", overdue)):
        with CaptureQueriesContext(connection) as queries:
            body = client.get(reverse("web:workbench"), {"light": value}).content.decode()
        shown = {o.number for o in (ok, warning, overdue) if o.number in body}
        assert shown == {expected.number}, value
        assert f"light-{value}" in body
        assert not any("GROUP BY" in q["sql"] and "MIN(" in q["sql"] and "LIMIT" in q["sql"] for q in queries), value


def test_workbench_rows_are_prepared_once_not_by_a_tag_per_row(login, district, log_call, monkeypatch):
    """Each row's cells (light, countdown, link, title, status label) come prepared from
    the view (web.order_list.prepare_rows, labels translated once per page): the per-row
    tags and get_status_display were most of the page's rendering (issue 14). The row
    still shows the title as the viewer may read it."""
    from workorders.services import work_order_assign

    for _ in range(3):
        work_order_assign(
            order=log_call(title="张三13812345678反映占道"), actor=district.user("dispatcher"), unit=district.street_a
        )
    displayed = []
    original = WorkOrder.get_status_display
    monkeypatch.setattr(WorkOrder, "get_status_display", lambda self: displayed.append(self.pk) or original(self))
    body = login("handler_a").get(reverse("web:workbench")).content.decode()
    assert body.count('class="light light-ok"') == 3 and body.count("<td>待签收</td>") == 3
    assert displayed == []
    assert "13812345678" not in body and "张三" not in body  # a handler reads titles redacted
