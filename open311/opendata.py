"""Open data: a daily snapshot of the published requests in the shape of GeoReport
bulk files (CSV and JSON), and the service levels (时限) published per category.

Same publication rules as the GeoReport GET (open311.services.published_orders):
confidential callers' orders and queued submissions are left out; no caller name, phone,
tracking code, reply or notes; description redacted with workorders.privacy (through
redact_order_text, i.e. redact_public_text with the caller's name). Position is given as
the street and community only: exact coordinates of a complaint often point at the
resident's own door."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from open311.models import OpenDataExport
from open311.services import _iso, expected_at, published_orders, services_offered, status_notes
from workorders.choices import TERMINAL_STATUSES, DeadlineState
from workorders.limit_text import parse_limit
from workorders.models import Category, Deadline, WorkOrder
from workorders.privacy import redact_order_text

COLUMNS = [
    "service_request_id",
    "service_code",
    "service_name",
    "status",
    "status_description",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "street",
    "community",
    "agency_responsible",
    "description",
    "on_time",
]
WINDOW_DAYS = 365  # a snapshot covers requests made in the last year
KEEP_DAYS = 7  # snapshots kept for download


def on_time(order: WorkOrder, breached: set[int]) -> bool | None:
    """False once any stage of the order ran past its limit; True when it ended without
    that; None while it is open and within its limits."""
    if order.pk in breached:
        return False
    return True if order.status in TERMINAL_STATUSES else None


def open_data_rows(*, day: date) -> list[dict]:
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    selected = published_orders().filter(created_at__lt=end, created_at__gte=end - timedelta(days=WINDOW_DAYS))
    orders = list(selected.select_related("street", "community").order_by("created_at", "id"))
    breached = set(
        Deadline.objects.filter(order__in=selected.values("pk"))
        .filter(Q(breached_at__isnull=False) | Q(state=DeadlineState.BREACHED))
        .values_list("order_id", flat=True)
    )
    rows = []
    for order in orders:
        unit = order.lead_unit or order.current_unit
        rows.append(
            {
                "service_request_id": order.number,
                "service_code": order.category.code,
                "service_name": order.category.name,
                "status": "closed" if order.status in TERMINAL_STATUSES else "open",
                "status_description": status_notes(order),
                "requested_datetime": _iso(order.created_at),
                "updated_datetime": _iso(order.updated_at),
                "expected_datetime": _iso(expected_at(order)),
                "street": order.street.name if order.street else None,
                "community": order.community.name if order.community else None,
                "agency_responsible": unit.name if unit else None,
                "description": redact_order_text(order, order.description)[:4000],
                "on_time": on_time(order, breached),
            }
        )
    return rows


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        cells = {
            k: ("" if v is None else ("true" if v is True else "false" if v is False else v)) for k, v in row.items()
        }
        writer.writerow(cells)
    return out.getvalue()


def open_data_export(*, day: date | None = None) -> OpenDataExport:
    """The snapshot of ``day`` (today by default), made once; older ones beyond
    KEEP_DAYS are deleted."""
    day = day or timezone.localdate()
    existing = OpenDataExport.objects.filter(day=day).first()
    if existing is not None:
        return existing
    rows = open_data_rows(day=day)
    try:
        with transaction.atomic():
            export = OpenDataExport.objects.create(
                day=day, rows=len(rows), csv=_csv(rows), json=json.dumps(rows, ensure_ascii=False)
            )
    except IntegrityError:  # another process made it meanwhile
        return OpenDataExport.objects.get(day=day)
    OpenDataExport.objects.filter(day__lt=day - timedelta(days=KEEP_DAYS)).delete()
    return export


def limit_label(text: str) -> str:
    if not text:
        return "—"
    limit = parse_limit(text)
    units = {"m": _("分钟"), "h": _("小时"), "d": _("天"), "wh": _("工作小时"), "wd": _("工作日")}
    return f"{limit.amount} {units[limit.unit]}"


def published_service_levels() -> list[dict]:
    """Per category, the time limits a request is held to (what Boston and New York
    publish as their service level agreements)."""
    levels = []
    category: Category
    for category in services_offered():
        levels.append(
            {
                "group": category.parent.name,
                "service_code": category.code,
                "service_name": category.name,
                "sign": limit_label(category.sign_limit),
                "contact": limit_label(category.contact_limit),
                "handle": limit_label(category.handle_limit),
                "callback": limit_label(category.callback_limit),
            }
        )
    return levels
