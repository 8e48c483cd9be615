"""The worker logs a follow-up under the id of the request that wrote it (issue 10: one id
from the access log to the worker's lines), however its nudge travelled: coalesced by the
background nudger, resent by the sweeper, or retried after a backoff."""

import io
import json
import logging

from hotline.logging import ContextFilter, JsonFormatter, request_id_var
from workorders import outbox
from workorders.models import FollowUp

from .test_orders import NEW_CALL, post


def drain_logging(task: str) -> list[dict]:
    """Drain ``task`` with a handler that logs one line per row; the JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("hotline.test.follow_ups")
    loggers = (logger, outbox.logger)
    levels = [x.level for x in loggers]
    for x in loggers:
        x.addHandler(handler)
        x.setLevel(logging.INFO)
    try:
        result = outbox.follow_ups_drain(task=task, handler=lambda o, e: logger.info("row of order %s", o))
    finally:
        for x, level in zip(loggers, levels, strict=True):
            x.removeHandler(handler)
            x.setLevel(level)
    assert result.done >= 1
    return [json.loads(x) for x in stream.getvalue().splitlines()]


def test_an_api_intake_keeps_its_request_id_on_its_follow_ups_and_the_worker_logs_under_it(api, district):
    r = post(api("operator"), "/api/v1/orders", NEW_CALL, HTTP_X_REQUEST_ID="call-0042")
    assert r.status_code == 201, r.json()
    rows = FollowUp.objects.filter(order__number=r.json()["number"])
    assert {row.request_id for row in rows} == {"call-0042"} and rows.count() >= 1

    # The drain runs in a worker with an id of its own (the nudge's task id, or none).
    token = request_id_var.set("nudge-task-id")
    try:
        lines = drain_logging("dispatch.route_order")
        assert request_id_var.get() == "nudge-task-id"  # restored after each row
    finally:
        request_id_var.reset(token)
    # The handler's own line and the outbox's "done" line.
    assert [line["request_id"] for line in lines] == ["call-0042", "call-0042"]
    assert lines[-1]["message"].startswith("Follow-up dispatch.route_order of event")


def test_a_follow_up_written_outside_a_request_is_logged_under_the_worker_s_own_id(district, log_call):
    outside = request_id_var.set("-")  # a command or the seed: no request id
    try:
        log_call(auto_dispatch=True)
    finally:
        request_id_var.reset(outside)
    row = FollowUp.objects.get(task="dispatch.route_order")
    assert row.request_id == ""
    token = request_id_var.set("sweep-task-id")
    try:
        lines = drain_logging("dispatch.route_order")
    finally:
        request_id_var.reset(token)
    assert [line["request_id"] for line in lines] == ["sweep-task-id", "sweep-task-id"]


def test_the_drain_names_the_rows_order_on_its_lines_without_a_look_up(district, log_call):
    """The claim reads the order's number with the row: the handler's bind_order_id
    costs no query for that order (one for any other)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hotline.logging import bind_order_id, order_var

    order, other = log_call(auto_dispatch=True), log_call()
    seen = []

    def handler(order_id: int, event_id: int) -> None:
        with CaptureQueriesContext(connection) as queries:
            bind_order_id(order_id)
        seen.append((order_var.get(), len(queries.captured_queries)))
        with CaptureQueriesContext(connection) as queries:
            bind_order_id(other.pk)
        seen.append((order_var.get(), len(queries.captured_queries)))

    assert outbox.follow_ups_drain(task="dispatch.route_order", handler=handler).done == 1
    assert seen == [(order.number, 0), (other.number, 1)]
