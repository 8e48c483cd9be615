"""Prometheus metrics at /metrics (prometheus-client).

Two kinds: request latency is observed by ``MetricsMiddleware`` in each web process
(under gunicorn with PROMETHEUS_MULTIPROC_DIR set, prometheus-client's multiprocess mode
sums the workers' files; deploy/gunicorn.conf.py clears a dead worker's). Everything
about the work — orders by status, deadlines due and overdue, scan lag, queue depths,
notification failures, the dispatch model's accuracy — is read from the database at scrape time by ``WorkCollector``,
so it is the same whichever process answers and needs no worker to report it.

Access: with HOTLINE_METRICS_TOKEN set, ``Authorization: Bearer <token>``; otherwise
only from addresses in HOTLINE_METRICS_ALLOW (loopback by default). Behind nginx the
proxy is loopback too, so deploy/nginx.conf refuses /metrics from outside.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable

from django.conf import settings
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import REGISTRY, GaugeMetricFamily

REQUEST_LATENCY = Histogram(
    "hotline_request_seconds",
    "Time to answer a request, by view (URL name) and method.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# A hook for queues that live in tables added later (e.g. the follow-up outbox): a name
# and a function returning the number of rows waiting. Register with ``queue_depth``.
_QUEUE_DEPTHS: dict[str, Callable[[], int]] = {}


def queue_depth(name: str):
    """Decorator: report ``fn()`` as hotline_queue_depth{queue=name} at each scrape."""

    def register(fn):
        _QUEUE_DEPTHS[name] = fn
        return fn

    return register


@queue_depth("dispatch")
def _dispatch_queue() -> int:
    from dispatch.models import DispatchQueueEntry, QueueState

    return DispatchQueueEntry.objects.filter(state=QueueState.OPEN).count()


@queue_depth("notifications")
def _pending_notifications() -> int:
    from dispatch.models import Notification, NotificationState

    return Notification.objects.filter(state__in=[NotificationState.PENDING, NotificationState.SENDING]).count()


@queue_depth("follow_ups")
def _pending_follow_ups() -> int:
    # The transactional outbox (workorders.FollowUp): routing, notices, return handling.
    from workorders.models import FollowUp

    return FollowUp.objects.filter(state=FollowUp.State.PENDING).count()


class WorkCollector:
    """Gauges computed from the database at scrape time."""

    def collect(self):
        from dispatch.models import Notification, NotificationState
        from hotline.health import heartbeat_ages
        from workorders.choices import DeadlineState
        from workorders.models import Deadline, WorkOrder

        now = timezone.now()
        orders = GaugeMetricFamily("hotline_orders", "Work orders by status.", labels=["status"])
        for status, n in WorkOrder.objects.values_list("status").annotate(n=Count("id")).order_by():
            orders.add_metric([status], n)
        yield orders

        open_ = Deadline.objects.filter(state=DeadlineState.OPEN)
        counts = open_.aggregate(
            due=Count("id", filter=Q(due_at__gt=now)),
            overdue=Count("id", filter=Q(due_at__lte=now)),
            oldest_unmarked=Min("due_at", filter=Q(due_at__lte=now, breached_at__isnull=True)),
        )
        deadlines = GaugeMetricFamily("hotline_deadlines", "Open deadlines, not yet due and overdue.", labels=["state"])
        deadlines.add_metric(["due"], counts["due"])
        deadlines.add_metric(["overdue"], counts["overdue"])
        yield deadlines

        oldest = counts["oldest_unmarked"]
        yield GaugeMetricFamily(
            "hotline_scan_lag_seconds",
            "Age of the oldest deadline past due that the scan has not marked breached yet (0 = caught up).",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )
        ages = GaugeMetricFamily(
            "hotline_heartbeat_age_seconds", "Seconds since a periodic job last finished (-1: never).", labels=["job"]
        )
        for job, age in heartbeat_ages(now=now).items():
            ages.add_metric([job], -1.0 if age is None else age)
        yield ages

        depth = GaugeMetricFamily("hotline_queue_depth", "Rows waiting in each work queue.", labels=["queue"])
        for name, fn in _QUEUE_DEPTHS.items():
            depth.add_metric([name], fn())
        yield depth

        yield GaugeMetricFamily(
            "hotline_notifications_failed",
            "Notifications given up after their last attempt (visible in the admin).",
            value=Notification.objects.filter(state=NotificationState.FAILED).count(),
        )

        # Once dispatch learns (triage): the active model's accuracy on its held-out part of
        # the history, so a retraining that made things worse shows on the board. No
        # active model (the keyword rules) reports nothing.
        from triage.models import ModelVersion

        accuracy = GaugeMetricFamily(
            "hotline_model_accuracy",
            "Held-out accuracy of the active dispatch model, by kind (category, unit) and measure (top1, top3).",
            labels=["kind", "measure"],
        )
        for kind, top1, top3 in ModelVersion.objects.filter(is_active=True).values_list("kind", "top1", "top3"):
            accuracy.add_metric([kind, "top1"], top1)
            accuracy.add_metric([kind, "top3"], top3)
        yield accuracy


def _allowed(request: HttpRequest) -> bool:
    token = settings.HOTLINE_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.HOTLINE_METRICS_ALLOW)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    registry_work = CollectorRegistry()
    registry_work.register(WorkCollector())
    body = generate_latest(registry) + generate_latest(registry_work)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Observe each request's latency under its URL name (not the path: numbers in
    paths would make one series per order)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        t0 = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or "-") if match else "unmatched"
        REQUEST_LATENCY.labels(view, request.method, str(response.status_code)).observe(time.perf_counter() - t0)
        return response
