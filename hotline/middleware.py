"""Refuse NUL characters in the path, the query and form fields with a clear 400.

A NUL byte cannot be stored in PostgreSQL text, so one in an order number in the URL, a
filter in the query string or a form field made views fail with a 500 when the value
reached a query (9 URLs, Open311 included). No legitimate request carries one, so it is
refused once here, before any view, rather than in each of them. JSON bodies are checked
by api.parsers.SafeJSONParser (a "\\u0000" escape is only visible after parsing)."""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

NUL = "\x00"


def _has_nul(data: QueryDict) -> str | None:
    """The first field whose name or a value holds a NUL, or None."""
    for name, values in data.lists():
        if NUL in name or any(isinstance(v, str) and NUL in v for v in values):
            return name.replace(NUL, "\\0")
    return None


def _refuse(request: HttpRequest, where: str) -> HttpResponse:
    message = _("请求中含有不允许的 NUL 字符（%(w)s）。") % {"w": where}
    if request.path.startswith(("/api/", "/open311/")):
        body = {"code": "invalid_input", "message": message, "errors": {where: [message]}}
        return HttpResponse(json.dumps(body, ensure_ascii=False), status=400, content_type="application/json")
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


class RefuseNulMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path_info or b"\x00" in unquote_to_bytes(request.META.get("PATH_INFO", "")):
            return _refuse(request, "path")
        field = _has_nul(request.GET)
        if field is not None:
            return _refuse(request, field)
        content_type = request.content_type or ""
        if request.method == "POST" and content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                field = _has_nul(request.POST) or next(
                    (name for name, files in request.FILES.lists() if any(NUL in (f.name or "") for f in files)), None
                )
            except MultiPartParserError:
                field = None  # the view's own parser reports the broken body
            if field is not None:
                return _refuse(request, field)
        elif content_type == "application/x-www-form-urlencoded" and request.method in ("PUT", "PATCH", "DELETE"):
            field = _has_nul(QueryDict(request.body, encoding=request.encoding))
            if field is not None:
                return _refuse(request, field)
        return self.get_response(request)
