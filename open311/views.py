"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

Plain Django views: the spec fixes URLs with a format suffix, form-encoded POSTs and its
own XML/JSON and error bodies, none of which DRF's conventions would help with."""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from hotline.ratelimit import allow, client_address
from open311 import render
from open311.attributes import parse_attribute_params, present_definition
from open311.services import (
    is_queued,
    open311_api_key_check,
    open311_request_create,
    open311_token_resolve,
    present,
    present_service,
    published_orders,
    published_photo,
    services_offered,
)
from workorders.choices import TERMINAL_STATUSES
from workorders.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
MAX_RESULTS = 1000  # the spec's default cap on GET requests
WINDOW = timedelta(days=90)  # default (and largest) date range of GET requests


class BadRequest(Exception):
    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.description, self.status = description, status


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _date(params, name: str):
    raw = params.get(name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw.strip().replace(" ", "+"))  # a raw "+" in a query string arrives as a space
    except ValueError:
        value = None
    if value is None:
        raise BadRequest(_("%(f)s 必须是 W3C 日期时间，例如 2026-11-23T08:00:00+08:00。") % {"f": name})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _float(params, name: str, *, bound: float) -> float | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(_("%(f)s 必须是数字。") % {"f": name}) from None
    # float() also reads "nan" and "inf"; neither is a place.
    if not math.isfinite(value) or abs(value) > bound:
        raise BadRequest(_("%(f)s 必须在 -%(b)d 与 %(b)d 之间。") % {"f": name, "b": bound})
    return value


def _jurisdiction_ok(request) -> bool:
    expected = settings.HOTLINE_OPEN311_JURISDICTION
    given = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id")
    return not (expected and given and given != expected)


def _guard(view):
    """Throttle per trusted client address; map our errors to the spec's error body in
    the requested format."""

    def wrapped(request, *args, fmt: str, **kwargs):
        if not allow(bucket="open311", who=client_address(request), limit=settings.HOTLINE_OPEN311_THROTTLE, window=60):
            return render.error(fmt, 429, _("请求过于频繁，请稍后再试。"))
        if not _jurisdiction_ok(request):
            return render.error(fmt, 404, _("没有这个 jurisdiction_id。"))
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except BadRequest as exc:
            return render.error(fmt, exc.status, exc.description)
        except InvalidInput as exc:
            # One {code, description} per bad parameter, each naming it as the client sent it.
            return render.errors(fmt, 400, [f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items()])
        except NotAllowed as exc:
            return render.error(fmt, 403, exc.message)
        except (Conflict, InvalidTransition) as exc:
            return render.error(fmt, 409, exc.message)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _media_base(request) -> str:
    return request.build_absolute_uri("/open311/v2/media/")


@require_GET
def media(request, pk: int):
    """An approved photo of a published order (the media_url of GET requests); files are
    the stored attachments, already re-encoded without metadata by attachments."""
    attachment = published_photo(pk=pk)
    if attachment is None:
        raise Http404
    return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)


@require_GET
@_guard
def discovery(request, fmt):
    """Every endpoint in every format: validators (and the spec's XML, where one endpoint
    cannot be told from a single value) expect a production and a test endpoint. The test
    endpoint is this same deployment unless HOTLINE_OPEN311_TEST_URL names a staging one."""
    base = request.build_absolute_uri("/open311/v2/").rstrip("/")
    changeset = settings.HOTLINE_OPEN311_CHANGESET
    formats = ["text/xml", "application/json"]
    endpoints = [
        {"specification": SPEC_URL, "url": url, "changeset": changeset, "type": kind, "formats": formats}
        for kind, url in (("production", base), ("test", settings.HOTLINE_OPEN311_TEST_URL or base))
    ]
    data = {
        "changeset": changeset,
        "contact": settings.HOTLINE_OPEN311_CONTACT,
        "key_service": settings.HOTLINE_OPEN311_KEY_SERVICE or _("请联系 12345 中心管理员申请 api_key。"),
        "endpoints": endpoints,
    }
    return render.respond(fmt, data, root="discovery", item=None)


@require_GET
@_guard
def service_list(request, fmt):
    data = [present_service(c) for c in services_offered()]
    return render.respond(fmt, data, root="services", item="service")


@require_GET
@_guard
def service_definition(request, fmt, code):
    category = services_offered().filter(code=code).first()
    if category is None:
        raise BadRequest(_("没有这个服务：%(c)s。") % {"c": code}, status=404)
    return render.respond(fmt, present_definition(category), root="service_definition", item=None)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_guard
def requests(request, fmt):
    if request.method == "POST":
        return _post_request(request, fmt)
    params = request.GET
    qs = published_orders()
    ids = _csv(params.get("service_request_id"))
    if ids:
        # The spec: with service_request_id, the other filters are ignored.
        qs = qs.filter(number__in=ids[:MAX_RESULTS])
    else:
        codes = _csv(params.get("service_code"))
        if codes:
            qs = qs.filter(category__code__in=codes)
        statuses = _csv(params.get("status"))
        if set(statuses) - {"open", "closed"}:
            raise BadRequest(_("status 只能是 open 或 closed（可用逗号分隔）。"))
        if statuses == ["open"]:
            qs = qs.exclude(status__in=TERMINAL_STATUSES)
        elif statuses == ["closed"]:
            qs = qs.filter(status__in=TERMINAL_STATUSES)
        start, end = _date(params, "start_date"), _date(params, "end_date")
        if start and end and start > end:
            raise BadRequest(_("start_date 不能晚于 end_date。"))
        if start and end and end - start > WINDOW:
            raise BadRequest(_("start_date 与 end_date 之间最多 90 天。"))
        end = end or (start + WINDOW if start else timezone.now())
        start = start or end - WINDOW
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
    orders = qs.order_by("-created_at", "-id")[:MAX_RESULTS]
    data = [present(o, media_base=_media_base(request)) for o in orders]
    return render.respond(fmt, data, root="service_requests", item="request")


def _post_request(request, fmt):
    params = request.POST
    key = open311_api_key_check(raw=params.get("api_key", ""))
    if key is None:
        raise BadRequest(_("api_key 缺失或无效。"), status=403)
    service_code = (params.get("service_code") or "").strip()
    if not service_code:
        raise BadRequest(_("service_code: 必填。"))
    lat, lng = _float(params, "lat", bound=90), _float(params, "long", bound=180)
    address = (params.get("address_string") or "").strip() or (params.get("address_id") or "").strip()
    if (lat is None or lng is None) and not address:
        raise BadRequest(_("位置必填：lat 和 long，或 address_string，或 address_id。"))
    caller_name = " ".join(p for p in (params.get("last_name", ""), params.get("first_name", "")) if p).strip()
    submission = open311_request_create(
        key=key,
        service_code=service_code,
        description=params.get("description", ""),
        lat=lat,
        lng=lng,
        address=address,
        caller_name=caller_name[:50],
        caller_phone=(params.get("phone") or "").strip(),
        attributes=parse_attribute_params(params),
        media_url=(params.get("media_url") or "").strip(),
        media=request.FILES.get("media"),
    )
    order = submission.order
    notice = _("已收到，查询码 %(c)s。") % {"c": order.tracking_code}
    if is_queued(order):
        # The spec: a request not yet an order answers a token; tokens/{token} resolves it.
        data = [{"token": submission.token, "service_notice": notice, "account_id": None}]
    else:
        data = [{"service_request_id": order.number, "service_notice": notice, "account_id": None}]
    return render.respond(fmt, data, root="service_requests", item="request", status=201)


@require_GET
@_guard
def request_detail(request, fmt, request_id):
    order = published_orders().filter(number=request_id).first()
    if order is None:
        raise BadRequest(_("没有这个 service_request_id：%(i)s。") % {"i": request_id}, status=404)
    data = [present(order, media_base=_media_base(request))]
    return render.respond(fmt, data, root="service_requests", item="request")


@require_GET
@_guard
def token(request, fmt, token):
    """The service_request_id a token became, once the submission is accepted (受理);
    until then the token alone, with an empty service_request_id."""
    submission = open311_token_resolve(token=token)
    if submission is None:
        raise BadRequest(_("没有这个 token：%(t)s。") % {"t": token}, status=404)
    order = submission.order
    data = [{"service_request_id": None if is_queued(order) else order.number, "token": token}]
    return render.respond(fmt, data, root="service_requests", item="request")
