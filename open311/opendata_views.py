"""/open-data/: the public page with the service levels per category and the daily
snapshots of requests (CSV, JSON). No login: everything here is already published."""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from open311.models import OpenDataExport
from open311.opendata import COLUMNS, KEEP_DAYS, open_data_export, published_service_levels


@require_GET
def open_data_page(request):
    latest = open_data_export()  # today's, made now if the daily task has not run yet
    exports = OpenDataExport.objects.defer("csv", "json").order_by("-day")[: KEEP_DAYS + 1]
    return render(
        request,
        "open311/open_data.html",
        {"levels": published_service_levels(), "exports": exports, "latest": latest, "columns": COLUMNS},
    )


@require_GET
def open_data_file(request, day: str, fmt: str):
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    export = OpenDataExport.objects.filter(day=wanted).first()
    if export is None:
        raise Http404
    if fmt == "csv":
        # A BOM so that spreadsheet programs read the Chinese as UTF-8.
        response = HttpResponse("\ufeff" + export.csv, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(export.json, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="hotline-requests-{export.day.isoformat()}.{fmt}"'
    return response
