import json
from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import IdempotencyKey
from workorders.models import WorkOrder
from workorders.services import work_order_assign, work_order_submit


def numbers(response):
    assert response.status_code == 200, response.json()
    return [o["number"] for o in response.json()["results"]]


@pytest.fixture
def orders(log_call, district):
    a = log_call(title="井盖丢失", urgency="urgent")
    b = log_call(category=district.cat_department, address="和平路88号", lat=None, lng=None)
    c = work_order_submit(channel="web", title="噪音扰民", description="夜间施工", caller_phone="13700000000")
    work_order_assign(order=a, actor=district.user("dispatcher"), unit=district.street_a)
    return a, b, c


@pytest.mark.parametrize(
    "query,expected",
    [
        ("status=assigned", "a"),
        ("status=accepted&status=submitted", "bc"),
        ("category=0102", "b"),
        ("major=01", "ab"),
        ("channel=web", "c"),
        ("urgency=urgent", "a"),
        ("request_type=complaint", "abc"),
        ("street={street_a}", "a"),
        ("community={community_b}", "b"),
        ("grid={grid_a}", "a"),
        ("unit={street_a}", "a"),
        ("q=井盖", "a"),
        ("q=和平路", "b"),
        ("q={number_c}", "c"),
        ("overdue=true", ""),
        ("overdue=false", "abc"),
        ("warning=true", ""),
    ],
)
def test_filters(api, district, orders, query, expected):
    a, b, c = orders
    query = query.format(
        street_a=district.street_a.pk,
        community_b=district.community_b.pk,
        grid_a=district.grid_a.pk,
        number_c=c.number,
    )
    got = set(numbers(api("operator").get(f"/api/v1/orders?{query}")))
    assert got == {dict(zip("abc", (a, b, c), strict=True))[k].number for k in expected}


def test_overdue_and_created_ranges(api, orders):
    a, b, c = orders
    later = timezone.now() + timedelta(days=400)
    WorkOrder.objects.filter(pk=a.pk).update(due_at=timezone.now() - timedelta(hours=1))
    assert numbers(api("operator").get("/api/v1/orders?overdue=true")) == [a.number]
    client = api("operator")
    assert numbers(client.get("/api/v1/orders", {"created_after": later.isoformat()})) == []
    assert len(numbers(client.get("/api/v1/orders", {"created_before": later.isoformat()}))) == 3
    assert numbers(client.get("/api/v1/orders", {"due_before": timezone.now().isoformat()})) == [a.number]


def test_bad_filter_value_is_400(api, orders):
    r = api("operator").get("/api/v1/orders?status=lost")
    assert r.status_code == 400 and "status" in r.json()["errors"]


def test_keyset_pages_walk_every_order_once_without_count(api, log_call, django_assert_max_num_queries):
    made = [log_call() for _ in range(7)]
    client = api("operator")
    seen, url = [], "/api/v1/orders?page_size=3&ordering=created_at"
    while url:
        r = client.get(url)
        assert "count" not in r.json()
        seen += numbers(r)
        url = r.json()["next"]
    assert seen == [o.number for o in made]
    desc = numbers(client.get("/api/v1/orders?page_size=50&ordering=-created_at"))
    assert desc == [o.number for o in reversed(made)]


def test_due_ordering_keeps_orders_without_clock_last_across_pages(api, log_call, district):
    made = [log_call() for _ in range(4)]
    for o in made[:2]:
        work_order_assign(order=o, actor=district.user("dispatcher"), unit=district.street_a)
    client = api("operator")
    seen, url = [], "/api/v1/orders?page_size=1&ordering=due_at"
    while url:
        r = client.get(url)
        seen += numbers(r)
        url = r.json()["next"]
    assert sorted(seen[:2]) == sorted(o.number for o in made[:2])
    assert sorted(seen) == sorted(o.number for o in made) and len(seen) == 4


def test_bad_cursor_and_ordering_are_400(api, district):
    client = api("operator")
    assert "cursor" in client.get("/api/v1/orders?cursor=garbage").json()["errors"]
    assert "ordering" in client.get("/api/v1/orders?ordering=title").json()["errors"]
    assert "page_size" in client.get("/api/v1/orders?page_size=100000").json()["errors"]


def test_my_queue_per_role(api, orders, district):
    a, b, c = orders
    assert numbers(api("handler_a").get("/api/v1/orders/queue")) == [a.number]
    assert numbers(api("handler_b").get("/api/v1/orders/queue")) == []
    assert numbers(api("operator").get("/api/v1/orders/queue")) == [c.number]
    assert numbers(api("dispatcher").get("/api/v1/orders/queue")) == [b.number]
    assert numbers(api("supervisor_a").get("/api/v1/orders/queue")) == [a.number]


def test_categories_and_units(api, district):
    client = api("handler_a")
    cats = client.get("/api/v1/categories").json()
    assert {c["code"] for c in cats} == {"01", "0101", "0102"}
    assert client.get("/api/v1/categories/0101").json()["parent"] == "01"
    units = client.get("/api/v1/units").json()
    assert units[0]["kind"] == "center" and len(units) == 9


NEW = {"caller_phone": "13812345678", "title": "路灯不亮", "description": "小区门口路灯坏了", "category": "0101"}


def create(client, body, key):
    return client.post(
        "/api/v1/orders", data=json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_idempotent_retry_returns_the_first_result(api, district):
    client = api("operator")
    first = create(client, NEW, "k-1")
    again = create(client, NEW, "k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert WorkOrder.objects.count() == 1


def test_same_key_different_body_is_422(api, district):
    client = api("operator")
    create(client, NEW, "k-2")
    r = create(client, {**NEW, "title": "另一件事"}, "k-2")
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    assert WorkOrder.objects.count() == 1


def test_retry_while_first_is_running_is_409(api, district):
    client = api("operator")
    create(client, NEW, "k-3")
    IdempotencyKey.objects.filter(key="k-3").update(state="running")
    r = create(client, NEW, "k-3")
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_in_use"
    assert WorkOrder.objects.count() == 1


def test_keys_are_per_client_and_expire_after_24h(api, district):
    create(api("operator"), NEW, "k-4")
    # Another user with the same key is another key (and here is refused by role).
    assert create(api("handler_a"), NEW, "k-4").status_code == 403
    IdempotencyKey.objects.filter(key="k-4").update(created_at=timezone.now() - timedelta(hours=25))
    assert create(api("operator"), NEW, "k-4").status_code == 201
    assert WorkOrder.objects.count() == 2


def test_failed_request_releases_the_key(api, district):
    client = api("operator")
    assert create(client, {**NEW, "category": "nope"}, "k-5").status_code == 400
    assert create(client, NEW, "k-5").status_code == 201
    assert IdempotencyKey.objects.get(key="k-5").state == "done"


def test_queue_pages_merge_branches_with_and_without_clocks(api, log_call, district):
    """Operator's queue: submitted orders (no clock) and callbacks (clocked), one per page."""
    from workorders.services import work_order_approve, work_order_reply, work_order_sign

    submitted = [
        work_order_submit(channel="web", title=f"噪音{i}", description="夜间施工", caller_phone="13700000000")
        for i in range(3)
    ]
    callbacks = []
    for _ in range(2):
        o = log_call()
        work_order_assign(order=o, actor=district.user("dispatcher"), unit=district.street_a)
        work_order_sign(order=o, actor=district.user("handler_a"))
        work_order_reply(order=o, actor=district.user("handler_a"), reply="已处理")
        callbacks.append(work_order_approve(order=o, actor=district.user("dispatcher")))
    client = api("operator")
    seen, url = [], "/api/v1/orders/queue?page_size=1"
    while url:
        r = client.get(url)
        seen += numbers(r)
        url = r.json()["next"]
    # Clocked orders first by due time, then those without a clock by id; each once.
    assert seen[:2] == [
        o.number for o in sorted(callbacks, key=lambda o: (WorkOrder.objects.get(pk=o.pk).due_at, o.pk))
    ]
    assert seen[2:] == [o.number for o in submitted]
    walked = []
    url = "/api/v1/orders/queue?page_size=2&ordering=-created_at"
    while url:
        r = client.get(url)
        walked += numbers(r)
        url = r.json()["next"]
    assert walked == [o.number for o in sorted([*submitted, *callbacks], key=lambda o: o.pk, reverse=True)]


def test_queue_of_a_user_with_no_queue_is_empty(api, district):
    r = api("admin").get("/api/v1/orders/queue")
    assert r.status_code == 200 and r.json() == {"next": None, "results": []}


def test_purge_task_deletes_only_expired_keys(api, district):
    from api.tasks import purge_idempotency_keys

    create(api("operator"), NEW, "old")
    create(api("operator"), {**NEW, "title": "新"}, "new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_idempotency_keys.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_queue_page_costs_a_fixed_number_of_queries(api, log_call, district, django_assert_max_num_queries):
    for _ in range(6):
        o = log_call()
        work_order_assign(order=o, actor=district.user("dispatcher"), unit=district.street_a)
    client = api("handler_a")
    client.get("/api/v1/orders/queue")  # token and memberships warmed per request anyway
    # token + memberships + 4 keyset runs (one union on PostgreSQL) + the page's rows
    with django_assert_max_num_queries(8):
        r = client.get("/api/v1/orders/queue")
    assert len(r.json()["results"]) == 6
    for i in range(4):
        work_order_submit(
            channel="patrol", actor=district.user("grid_worker_a"), title=f"巡查{i}", description="井盖破损"
        )
    worker = api("grid_worker_a")
    worker.get("/api/v1/orders/queue")
    with django_assert_max_num_queries(6):
        r = worker.get("/api/v1/orders/queue")
    assert len(r.json()["results"]) == 4


def test_an_order_that_changes_status_between_the_two_list_queries_is_left_out_not_a_500(
    api, log_call, district, monkeypatch
):
    """The page's keys are read first, its rows second; an order signed in between no
    longer matches ?status=assigned and is left out, the rest of the page answers."""
    from api.pagination import KeysetPagination
    from workorders.services import work_order_sign

    assigned = [
        work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a) for _ in range(3)
    ]
    fetch_keys = KeysetPagination._fetch_keys

    def keys_then_sign(runs, field, limit):
        keys = fetch_keys(runs, field, limit)
        if assigned[1].status == "assigned":  # once: the handler signs between the queries
            assigned[1] = work_order_sign(order=assigned[1], actor=district.user("handler_a"))
        return keys

    monkeypatch.setattr(KeysetPagination, "_fetch_keys", staticmethod(keys_then_sign))
    r = api("dispatcher").get("/api/v1/orders?status=assigned&page_size=2")
    assert r.status_code == 200, r.content
    assert numbers(r) == [assigned[2].number]  # newest first; the signed one left out
    rest = api("dispatcher").get(r.json()["next"])
    assert numbers(rest) == [assigned[0].number]  # the cursor still walks on past it


def test_a_request_killed_before_its_commit_leaves_no_key_and_the_retry_runs(api, district, monkeypatch):
    """What kill -9 of the web server mid-request leaves: the transaction never commits,
    so neither the order nor its key exists, and the retry creates the order."""
    from workorders.services import intake as services

    real = services.work_order_log_call

    def killed(**kwargs):
        real(**kwargs)  # the order is written …
        raise SystemExit("kill -9")  # … and the process dies before the commit

    monkeypatch.setattr(services, "work_order_log_call", killed)
    client = api("operator")
    with pytest.raises(SystemExit):
        create(client, NEW, "k-crash")
    assert not WorkOrder.objects.exists() and not IdempotencyKey.objects.exists()
    monkeypatch.setattr(services, "work_order_log_call", real)
    retry = create(client, NEW, "k-crash")
    assert retry.status_code == 201 and WorkOrder.objects.get().number == retry.json()["number"]
    assert create(client, NEW, "k-crash").json()["number"] == retry.json()["number"]


def test_a_committed_order_is_always_found_by_its_key(api, district):
    client = api("operator")
    first = create(client, NEW, "k-6")
    key = IdempotencyKey.objects.get(key="k-6")
    order = WorkOrder.objects.get()
    # The key row and the order commit together: the key holds the order's answer.
    assert key.state == "done" and key.response_body["number"] == order.number
    assert create(client, NEW, "k-6").json()["number"] == first.json()["number"]


def test_a_stale_running_key_from_before_the_upgrade_is_retryable_after_the_lease(api, district):
    from api.idempotency import STALE_RUNNING

    client = api("operator")
    fresh = create(client, NEW, "k-7")  # only to learn this request's owner and fingerprint
    IdempotencyKey.objects.filter(key="k-7").update(key="k-8", state="running", response_body=None)
    assert create(client, NEW, "k-8").status_code == 409  # within the lease: maybe still running
    # The old release committed "running" first; its request then died before the order.
    IdempotencyKey.objects.filter(key="k-8").update(created_at=timezone.now() - STALE_RUNNING - timedelta(seconds=1))
    retry = create(client, NEW, "k-8")
    assert retry.json()["number"] != fresh.json()["number"]
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    assert WorkOrder.objects.count() == 2
