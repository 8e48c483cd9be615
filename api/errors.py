"""One error shape for the whole API: {"code", "message", "errors": {field: [messages]}}.

Messages are produced with gettext at raise time, so they come in the language the
client asked for (LocaleMiddleware reads Accept-Language)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from workorders.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed, WorkflowError


def error_body(code: str, message: str, errors: dict | None = None, **extra) -> dict:
    return {"code": code, "message": message, "errors": errors or {}, **extra}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail → {"field" | "field.0.sub": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "non_field_errors" if key == "non_field_errors" and not prefix else f"{prefix}{key}"
            for k, v in _flatten(value, name + ".").items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix.rstrip(".") or "non_field_errors"] = [str(item) for item in detail]
        else:
            for i, item in enumerate(detail):
                for k, v in _flatten(item, f"{prefix}{i}.").items():
                    out.setdefault(k, []).extend(v)
    else:
        out[prefix.rstrip(".") or "non_field_errors"] = [str(detail)]
    return out


WORKFLOW_STATUS = {
    InvalidInput: status.HTTP_400_BAD_REQUEST,
    NotAllowed: status.HTTP_403_FORBIDDEN,
    Conflict: status.HTTP_409_CONFLICT,
    InvalidTransition: status.HTTP_409_CONFLICT,
}


def workflow_error_response(exc: WorkflowError, **extra) -> Response:
    http = next((code for cls, code in WORKFLOW_STATUS.items() if isinstance(exc, cls)), 400)
    errors = exc.errors if isinstance(exc, InvalidInput) else {}
    message = _("请求数据有误。") if isinstance(exc, InvalidInput) else exc.message
    details = {k: v for k, v in exc.details.items() if k != "errors"}
    return Response(error_body(exc.code, message, errors, **details, **extra), status=http)


def exception_handler(exc, context):
    if isinstance(exc, WorkflowError):
        return workflow_error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid_input", _("请求数据有误。"), _flatten(exc.detail))
    elif isinstance(exc, exceptions.ParseError):
        body = error_body("parse_error", _("请求体无法解析：%(d)s") % {"d": exc.detail}, {"body": [str(exc.detail)]})
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = code if isinstance(code, str) else "error"
        body = error_body(code, str(getattr(exc, "detail", exc)))
    response.data = body
    return response
