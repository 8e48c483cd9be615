"""Log context: the request id and the order number on every line of a request or task.

A request's id comes from ``X-Request-ID`` (set by nginx or a client; echoed back) or is
made here; a task's is its Celery task id. The order number is set by whoever first
knows it (a view resolving ``<number>``, a task loading its order) through
``bind_order``. Both live in context variables, so threads and asyncio keep them apart
and nothing has to be passed down to the services.

Hand-written rather than python-json-logger / django-structlog: a formatter and a filter
of 60 lines do what we need, and structlog would change every logger call in the code.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
order_var: contextvars.ContextVar[str] = contextvars.ContextVar("order", default="-")

# A client may send any header; keep ids short and printable so they cannot forge log lines.
_GOOD_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


# The id of the order order_var names, when whoever bound it knew it (the drain).
_order_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("order_id", default=None)


def bind_order(number: str | None, *, order_id: int | None = None) -> None:
    """Name the order this request or task is about on its remaining log lines."""
    if number:
        order_var.set(str(number))
        _order_id_var.set(order_id)


def bind_order_id(order_id: int) -> None:
    """Name the order with this id on the remaining lines: a worker's handler for one
    outbox row calls it before doing the row's work. The drain has usually named it
    already (its claim reads the number with the row); else one primary-key look-up."""
    if _order_id_var.get() == order_id and order_var.get() != "-":
        return
    from workorders.models import WorkOrder

    number = WorkOrder.objects.filter(pk=order_id).values_list("number", flat=True).first()
    bind_order(number, order_id=order_id)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.order = order_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
            "order": getattr(record, "order", order_var.get()),
        }
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class RequestIdMiddleware:
    """Honour or make X-Request-ID, bind it (and the URL's order number) for the
    request's log lines, and echo it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        rid = given if _GOOD_ID.match(given) else uuid.uuid4().hex
        request.request_id = rid
        tokens = (request_id_var.set(rid), order_var.set("-"))
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(tokens[0])
            order_var.reset(tokens[1])
        response["X-Request-ID"] = rid
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Order pages and API actions carry the number in the URL (<number>).
        bind_order(view_kwargs.get("number"))


def task_headers() -> dict:
    """Celery before_task_publish: a task queued while serving a request carries the
    request's id, so the worker's lines for it are found by the same id."""
    rid = request_id_var.get()
    return {"hotline_request_id": rid} if rid != "-" else {}


def bind_task_context(task_name: str, task_id: str | None, args: tuple, kwargs: dict, parent_rid: str = "") -> None:
    """Celery task_prerun: the id of the request that queued the task (else the task's
    own id) and, for tasks about one order (first argument ``order_id``), that order's
    number: one primary-key look-up."""
    request_id_var.set(parent_rid if _GOOD_ID.match(parent_rid or "") else (task_id or "-"))
    order_var.set("-")
    order_id = kwargs.get("order_id", args[0] if args else None)
    if task_name in ORDER_TASKS and isinstance(order_id, int):
        from workorders.models import WorkOrder

        bind_order(WorkOrder.objects.filter(pk=order_id).values_list("number", flat=True).first())


# Tasks whose first argument is an order id (dispatch/tasks.py).
ORDER_TASKS = {"dispatch.route_order", "dispatch.on_event"}
