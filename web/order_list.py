"""A page of orders as the supervisor's lists show them: the orders behind a figure
(/orders/), a campaign's orders and the order filter page.

Each list shows PAGE_SIZE orders a page, nearest deadline first, with links to the
previous and next page, and counts its orders up to COUNT_CAP ("超过 10000 件" beyond).

Why 50 a page rather than the first 200 on one page (issue 14): the list is where a
supervisor picks the orders to open or urge (督办), nearest deadline first; the first
screenful is what gets read. 200 rows, each with its urge form, took four times the
rendering for rows nobody scrolled to, and the orders after the 200th could not be
reached in the list at all, only in the export. With pages every order is reachable up
to COUNT_CAP (the export has them all), and the page costs the same whatever the
figure behind it. The count stops at COUNT_CAP for the same reason as the filter
page's: the orders behind a month's volume are ~81,000, and counting them exactly on
every view cost more than showing the page; the dashboard shows the figure itself.

The cells of a row (light, countdown, the title as the viewer may read it, the status
label) are prepared here once per row with labels translated once per page, rather than
by template tags that each looked up the viewer's roles, the translation catalogue and
the clock again for every row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connections
from django.db.models import Count, QuerySet, Value, Window
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from dispatch.selectors import FAR_FUTURE
from web.lights import LIGHT_LABELS, attach_warn_at, by_deadline, countdown, light
from workorders.choices import Status
from workorders.models import WorkOrder
from workorders.privacy import order_text

PAGE_SIZE = 50
COUNT_CAP = 10_000
# Pages go as far as the count does; past the cap the export is the way (an OFFSET that
# deep reads every row before it).
MAX_PAGE = COUNT_CAP // PAGE_SIZE
TITLE_CHARS = 36


@dataclass(frozen=True)
class OrderPage:
    orders: list[WorkOrder]
    number: int
    total: int  # exact, or COUNT_CAP + 1 when capped
    capped: bool
    first: int  # position of the first row shown (1-based), 0 when there is none
    last: int
    prev_url: str
    next_url: str
    # With ``keys``: how many of those rows there are (a rate's counted callbacks,
    # deadlines or events), read in the page's own query.
    keys_counted: int | None = None

    @property
    def paged(self) -> bool:
        return bool(self.prev_url or self.next_url)

    @property
    def cap(self) -> int:
        return COUNT_CAP


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "")
    return min(max(int(raw), 1), MAX_PAGE) if raw.isdigit() else 1


def _page_url(request: HttpRequest, number: int) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    if number > 1:
        query["page"] = str(number)
    encoded = query.urlencode()
    return request.path + (f"?{encoded}" if encoded else "")


def order_page(
    request: HttpRequest,
    qs: QuerySet[WorkOrder],
    *,
    whole: bool = False,
    materialized: bool = False,
    keys: QuerySet | None = None,
    now: datetime | None = None,
) -> OrderPage:
    """The page of ``qs`` that ``?page=`` asks for, nearest deadline first, its rows
    prepared for ``request.user``.

    By default the page is read in by_deadline's order (an index range where one serves,
    e.g. workorder_due_created for the filter page) and the count stops at COUNT_CAP.
    ``whole``: the set is read whole and sorted on an expression no index serves, and
    counted exactly in the same pass (COUNT(*) OVER (): the sort reads every row anyway).
    For sets that PostgreSQL should read whole (a rate's orders, the overdue ids): in
    plain deadline order it walks workorder_due_created from the oldest deadline hoping
    to meet the set's orders early, and past the running orders (the closed have no
    deadline, the index's NULL end) that is the whole history: 4.6–15 s at a million.
    ``materialized``: the set is planned on its own (_materialized_page), for a rate's
    set narrowed by other conditions.
    ``keys``: ``qs`` is exactly the orders of these rows (``order_id``; a rate's counted
    rows, nothing narrowing them): the page, the count of orders and the count of rows
    are read in one query (_keyed_page), and the last is ``keys_counted``."""
    now = now or timezone.now()
    number = _page_number(request)
    keys_counted = None
    if keys is not None:
        ids, total, keys_counted = _keyed_page(keys, number)
        if not ids and number > 1:
            number = _last_page(total)
            ids, total, keys_counted = _keyed_page(keys, number)
        whole = True
    elif whole:
        read = _materialized_page if materialized else _sorted_page
        ids, total = read(qs, number)
        if not ids and number > 1:  # past the end: the last page
            number = _last_page(total)
            ids, total = read(qs, number)
    else:
        total = qs.order_by()[: COUNT_CAP + 1].count()
        number = min(number, _last_page(total))
        offset = (number - 1) * PAGE_SIZE
        ids = list(by_deadline(qs).values_list("pk", flat=True)[offset : offset + PAGE_SIZE])
    capped = not whole and total > COUNT_CAP  # a whole set's count is exact
    last_page = _last_page(total)
    offset = (number - 1) * PAGE_SIZE
    # Ids first, then only the page's orders with their joins: joining units and
    # categories to every candidate before the sort costs more than the sort.
    found = WorkOrder.objects.select_related("category", "lead_unit", "grid").in_bulk(ids)
    rows = [found[pk] for pk in ids if pk in found]
    prepare_rows(request.user, rows, now=now)
    return OrderPage(
        orders=rows,
        number=number,
        total=total,
        capped=capped,
        first=offset + 1 if rows else 0,
        last=offset + len(rows),
        prev_url=_page_url(request, number - 1) if number > 1 else "",
        next_url=_page_url(request, number + 1) if number < last_page else "",
        keys_counted=keys_counted,
    )


def _last_page(total: int) -> int:
    return min(MAX_PAGE, max(1, math.ceil(min(total, COUNT_CAP) / PAGE_SIZE)))


def _sorted_page(qs: QuerySet[WorkOrder], number: int) -> tuple[list[int], int]:
    """One page of the whole set by nearest deadline (none last), and the set's size."""
    offset = (number - 1) * PAGE_SIZE
    due = Coalesce("due_at", Value(FAR_FUTURE))
    head = list(
        qs.order_by(due, "created_at")
        .annotate(total=Window(Count("pk")))
        .values_list("pk", "total")[offset : offset + PAGE_SIZE]
    )
    if head:
        return [pk for pk, _total in head], head[0][1]
    return [], qs.order_by().count() if number > 1 else 0


def _materialized_page(qs: QuerySet[WorkOrder], number: int) -> tuple[list[int], int]:
    """_sorted_page with the set as a materialized CTE, planned on its own. For the
    orders behind a rate narrowed by other conditions (a filter, the viewer's scope):
    under the page's LIMIT PostgreSQL sorted every order ever filed and probed the
    subquery once per order (a nested-loop semi-join: 13–21 s at a million orders for a
    month's satisfaction figure, 8 s for direct answers); planned alone the set is read
    first. Sets that are a plain range or a list of ids do better without the fence,
    and a rate's whole set is read by _keyed_page."""
    offset = (number - 1) * PAGE_SIZE
    inner = qs.order_by().values_list("pk", "due_at", "created_at")
    sql, params = inner.query.sql_with_params()
    far = FAR_FUTURE if connections[inner.db].vendor == "postgresql" else FAR_FUTURE.isoformat(" ")
    with connections[inner.db].cursor() as cur:
        cur.execute(
            f"WITH s (id, due_at, created_at) AS MATERIALIZED ({sql}) "  # noqa: S608 - Django's own SQL, params bound
            "SELECT id, COUNT(*) OVER () FROM s ORDER BY COALESCE(due_at, %s), created_at LIMIT %s OFFSET %s",
            [*params, far, PAGE_SIZE, offset],
        )
        head = cur.fetchall()
    if head:
        return [pk for pk, _total in head], head[0][1]
    return [], qs.order_by().count() if number > 1 else 0


def _keyed_page(keys: QuerySet, number: int) -> tuple[list[int], int, int]:
    """One page of the orders of ``keys`` (rows with an ``order_id``: a rate's counted
    callbacks, deadlines or events) by nearest deadline, with how many orders and how
    many rows there are, in one query.

    On PostgreSQL the rows' distinct order ids are gathered once into an array with the
    rows' count (one index-only read of their range, dashboards 0005), and the orders
    are looked up by key (workorder_key_sort's index-only scan: the cost follows the
    period's rows, not the history; ds.KeyIn) for the page's sort; the array's length
    is the orders' count. Before, the set went through a materialized CTE (a copy of
    each of a month's ~72,000 orders), a window counted the copy (~30 ms at a million
    orders) and the rows were read again for their count. The array is referred to from
    the CTE, never carried in the rows: a window over rows that each carried it spilled
    gigabytes."""
    offset = (number - 1) * PAGE_SIZE
    inner = keys.order_by().values("order_id")
    sql, params = inner.query.sql_with_params()
    connection = connections[inner.db]
    qn = connection.ops.quote_name
    meta = WorkOrder._meta
    table, pk = qn(meta.db_table), qn(meta.pk.column)
    due, created = qn(meta.get_field("due_at").column), qn(meta.get_field("created_at").column)
    order = f"ORDER BY COALESCE(o.{due}, %s), o.{created}, o.{pk} LIMIT %s OFFSET %s"
    if connection.vendor == "postgresql":
        query = (
            f"WITH k (ids, n) AS MATERIALIZED (SELECT array_agg(DISTINCT r.order_id), COUNT(*) FROM ({sql}) r) "  # noqa: S608 - Django's own SQL, params bound
            f"SELECT o.{pk}, (SELECT cardinality(ids) FROM k), (SELECT n FROM k) "
            f"FROM k, {table} o WHERE o.{pk} = ANY(k.ids) {order}"
        )
        far = FAR_FUTURE
    else:  # SQLite: no arrays
        query = (
            f"WITH k (order_id) AS ({sql}) "  # noqa: S608 - Django's own SQL, params bound
            f"SELECT o.{pk}, COUNT(*) OVER (), (SELECT COUNT(*) FROM k) "
            f"FROM {table} o WHERE o.{pk} IN (SELECT order_id FROM k) {order}"
        )
        far = FAR_FUTURE.isoformat(" ")
    with connection.cursor() as cur:
        cur.execute(query, [*params, far, PAGE_SIZE, offset])
        head = cur.fetchall()
    if head:
        return [pk for pk, _orders, _rows in head], head[0][1], head[0][2]
    if number == 1:
        return [], 0, 0
    # Past the last page (a stale link): the counts alone.
    total = WorkOrder.objects.filter(pk__in=keys.order_by().values("order_id")).count()
    return [], total, keys.order_by().count()


def prepare_rows(
    user: AbstractBaseUser | AnonymousUser, rows: list[WorkOrder], *, now: datetime, title_chars: int = TITLE_CHARS
) -> list[WorkOrder]:
    """Give each order of a page what its row shows: ``light`` and ``light_label`` (the
    traffic light), ``countdown``, ``url``, ``shown_title`` (the title as ``user`` may
    read it, workorders.privacy's one policy, cut to ``title_chars``) and ``status_label``.
    The lists and the workbench draw these cells (``web/_order_light.html``)."""
    attach_warn_at(rows)
    label_rows(user, rows, title_chars=title_chars)
    lights = {code: str(label) for code, label in LIGHT_LABELS.items()}
    for o in rows:
        o.light = light(o.due_at, o.warn_at, now)  # type: ignore[attr-defined]
        o.light_label = lights.get(o.light, "")  # type: ignore[attr-defined]
        o.countdown = countdown(o.due_at, now)  # type: ignore[attr-defined]
        o.url = reverse("web:order", args=[o.number])  # type: ignore[attr-defined]
    return rows


def label_rows(
    user: AbstractBaseUser | AnonymousUser, rows: list[WorkOrder], *, title_chars: int | None = None
) -> list[WorkOrder]:
    """Give each order ``status_label`` (translated once for the list, not once a row:
    get_status_display rebuilds the choices' dict on every call) and ``shown_title``
    (the title as ``user`` may read it, cut to ``title_chars`` if given)."""
    statuses = {code: str(label) for code, label in Status.choices}
    for o in rows:
        o.status_label = statuses.get(o.status, o.status)  # type: ignore[attr-defined]
        title = order_text(user, o, o.title or "", field="title")  # type: ignore[arg-type]
        o.shown_title = Truncator(title).chars(title_chars) if title_chars else title  # type: ignore[attr-defined]
    return rows
