"""The order page (and every action on an order) finds the order by its number and checks
the user's scope on that row (workorders.scope.order_visible_to), rather than filtering
by the whole scope's condition (an OR of EXISTS clauses built and compiled per request):
the same orders open, the same ones are 404."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from workorders.models import CoHandling
from workorders.services import work_order_assign


def _order_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if 'FROM "workorders_workorder"' in q["sql"] and '"number" =' in q["sql"]]


def test_the_order_is_read_by_its_number_and_the_scope_checked_on_the_row(login, assigned):
    client = login("handler_a")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("web:order", args=[assigned.number])).status_code == 200
    (read,) = _order_queries(ctx.captured_queries)
    assert "EXISTS" not in read and "workorders_cohandling" not in read and "workorders_deadline" not in read


def test_an_order_outside_the_scope_is_still_404_and_a_cohandled_one_opens(login, district, log_call):
    order = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    client = login("handler_b")
    assert client.get(reverse("web:order", args=[order.number])).status_code == 404
    assert client.get(reverse("web:order", args=["NO-SUCH-ORDER"])).status_code == 404
    CoHandling.objects.create(order=order, unit=district.street_b, asked_at=timezone.now())
    assert client.get(reverse("web:order", args=[order.number])).status_code == 200
    # The grid worker sees only their own reports, the center's dispatcher every order.
    assert login("grid_worker_a").get(reverse("web:order", args=[order.number])).status_code == 404
    assert login("dispatcher").get(reverse("web:order", args=[order.number])).status_code == 200
