"""Resident portal (一号一码): mobile-first form behind the community's QR poster,
tracking by number + code, rating after the reply. No login; throttled; nobody's
personal data is ever shown (the tracking view comes from workorders.public)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.locate import locate_point
from grids.models import OrgUnit, Role, UnitKind
from hotline.ratelimit import client_address, tracking_failed, tracking_locked
from web import poster, throttle
from web.forms import PublicForm, RateForm, TrackForm
from web.helpers import apply_errors, ask_for_photo_again, intake_from_form, role_required
from web.receipt import receipt_png, receipt_qr_svg
from workorders.choices import Channel
from workorders.errors import WorkflowError
from workorders.public import public_rate, public_track

SUBMIT_LIMIT = (5, 600)  # submissions per client per 10 minutes
TRACK_LIMIT = (30, 600)  # look-ups per client per 10 minutes: codes can't be guessed by trying


def _community(code: str | None) -> OrgUnit | None:
    if not code:
        return None
    return get_object_or_404(
        OrgUnit.objects.select_related("parent"), code=code, kind=UnitKind.COMMUNITY, is_active=True
    )


def report(request: HttpRequest, code: str | None = None) -> HttpResponse:
    community = _community(code)
    # Bound on every POST, even an empty one (a JSON body leaves request.POST empty).
    form = PublicForm(request.POST, request.FILES) if request.method == "POST" else PublicForm()
    status = 200
    if request.method == "POST":
        status = 400
        if not throttle.hit(request, "submit", limit=SUBMIT_LIMIT[0], window=SUBMIT_LIMIT[1]):
            form.add_error(None, _("提交过于频繁，请稍后再试或拨打 12345。"))
            status = 429
        elif form.is_valid() and form.cleaned_data["website"]:
            form.add_error(None, _("提交未被接受。"))
        elif form.is_valid():
            d = form.cleaned_data
            order = intake_from_form(
                form=form,
                photo=d["photo"],
                channel=Channel.QR if community else Channel.WEB,
                description=d["description"],
                caller_phone=d["caller_phone"],
                caller_name=d["caller_name"],
                address=d["address"],
                lat=d["lat"],
                lng=d["lng"],
                community=community,
            )
            if order is not None:
                # Shown once on the receipt page; the session keeps it for a reload.
                request.session["public_receipt"] = {"number": order.number, "code": order.tracking_code}
                return redirect("web:public_done")
        ask_for_photo_again(request, form)
    return render(request, "web/public/report.html", {"form": form, "community": community}, status=status)


# The rating form sits on the tracking page next to the tracking form, which has the
# same field names: its own ids keep the page's ids unique.
RATE_IDS = "rate_%s"


def _track_link(request: HttpRequest, receipt: dict) -> str:
    """The tracking page with the number and code filled in. The look-up itself stays a
    POST behind the throttle and the wrong-code lock-out; the link only saves typing."""
    query = urlencode({"number": receipt["number"], "code": receipt["code"]})
    return request.build_absolute_uri(reverse("web:public_track")) + "?" + query


def report_done(request: HttpRequest) -> HttpResponse:
    receipt = request.session.get("public_receipt")
    if not receipt:
        return redirect("web:public_report")
    link = _track_link(request, receipt)
    context = {"receipt": receipt, "link": link, "qr_svg": mark_safe(receipt_qr_svg(link))}
    return render(request, "web/public/done.html", context)


def report_done_png(request: HttpRequest) -> HttpResponse:
    """The receipt as a picture a resident saves to the phone's album (number, code, QR)."""
    receipt = request.session.get("public_receipt")
    if not receipt:
        raise Http404
    png = receipt_png(number=receipt["number"], code=receipt["code"], link=_track_link(request, receipt))
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="12345-{receipt["number"]}.png"'
    response["Cache-Control"] = "private, no-store"
    return response


WHERE_LIMIT = (60, 600)  # place look-ups per client per 10 minutes


def where(request: HttpRequest) -> JsonResponse:
    """The phone's position in words (街道 · 社区 · 网格) for the resident's form, so the
    resident sees a place they recognise instead of coordinates. Names only: these are
    the district's public gazetteer."""
    if not throttle.hit(request, "where", limit=WHERE_LIMIT[0], window=WHERE_LIMIT[1]):
        return JsonResponse({"place": ""}, status=429)
    try:
        lat, lng = float(request.GET.get("lat", "")), float(request.GET.get("lng", ""))
        found = locate_point(lat, lng)
    except ValueError:
        found = None
    if found is None:
        return JsonResponse({"place": ""})
    names = [u.name for u in (found.street, found.community, found.grid) if u is not None]
    return JsonResponse({"place": " · ".join(names)})


def locked_message() -> str:
    return _("查询码错误次数过多，该工单号暂停查询 %(m)d 分钟；如需帮助请拨打 12345。") % {
        "m": max(1, settings.HOTLINE_TRACK_LOCKOUT_SECONDS // 60)
    }


def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(
        request.POST if request.method == "POST" else None,
        initial={"number": request.GET.get("number", ""), "code": request.GET.get("code", "")},
    )
    view = None
    rate_form = None
    status = 200
    if request.method == "POST":
        if not throttle.hit(request, "track", limit=TRACK_LIMIT[0], window=TRACK_LIMIT[1]):
            form.add_error(None, _("查询过于频繁，请稍后再试。"))
            status = 429
        elif form.is_valid() and tracking_locked(number=form.cleaned_data["number"], client=client_address(request)):
            form.add_error(None, locked_message())
            status = 429
        elif form.is_valid():
            view = public_track(number=form.cleaned_data["number"], code=form.cleaned_data["code"])
            if view is None:
                tracking_failed(number=form.cleaned_data["number"], client=client_address(request))
                form.add_error(None, _("工单号或查询码不正确。"))
                status = 404
            elif view.can_rate:
                rate_form = RateForm(
                    initial={"number": view.number, "code": form.cleaned_data["code"].upper()}, auto_id=RATE_IDS
                )
    return render(request, "web/public/track.html", {"form": form, "view": view, "rate_form": rate_form}, status=status)


@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    rate_form = RateForm(request.POST, auto_id=RATE_IDS)
    number, code = request.POST.get("number", ""), request.POST.get("code", "")
    refusal = None
    if not throttle.hit(request, "track", limit=TRACK_LIMIT[0], window=TRACK_LIMIT[1]):
        refusal = _("操作过于频繁，请稍后再试。")
    elif tracking_locked(number=number, client=client_address(request)):
        refusal = locked_message()
    if refusal:
        # No look-up at all: a 404 against a 400 would still tell right codes from wrong.
        form = TrackForm(initial={"number": number})
        context = {"form": form, "refusal": refusal}
        return render(request, "web/public/track.html", context, status=429)
    if rate_form.is_valid():
        d = rate_form.cleaned_data
        try:
            public_rate(
                number=d["number"],
                code=d["code"],
                resolution=d["resolution"],
                satisfaction=d["satisfaction"],
                comment=d["comment"],
            )
        except WorkflowError as exc:
            apply_errors(rate_form, exc)
        else:
            view = public_track(number=number, code=code)
            form = TrackForm(initial={"number": number})
            return render(request, "web/public/track.html", {"form": form, "view": view, "rated": True})
    view = public_track(number=number, code=code)
    if view is None:
        tracking_failed(number=number, client=client_address(request))
        raise Http404
    form = TrackForm(initial={"number": number})
    context = {"form": form, "view": view, "rate_form": rate_form}
    return render(request, "web/public/track.html", context, status=400)


# --- posters (for staff) ------------------------------------------------------------


def _poster_url(request: HttpRequest, community: OrgUnit) -> str:
    return request.build_absolute_uri(reverse("web:public_report_at", args=[community.code]))


@role_required(Role.ADMIN, Role.SUPERVISOR, Role.GRID_WORKER, Role.HANDLER)
def posters(request: HttpRequest) -> HttpResponse:
    communities = OrgUnit.objects.filter(kind=UnitKind.COMMUNITY, is_active=True).select_related("parent")
    return render(request, "web/posters.html", {"communities": communities})


@role_required(Role.ADMIN, Role.SUPERVISOR, Role.GRID_WORKER, Role.HANDLER)
def poster_file(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if fmt not in {"png", "pdf"}:
        raise Http404
    community = _community(code)
    url = _poster_url(request, community)
    if fmt == "png":
        response = HttpResponse(poster.poster_png(community, url), content_type="image/png")
    else:
        response = HttpResponse(poster.poster_pdf(community, url), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="poster-{community.code}.{fmt}"'
    return response


def favicon(request: HttpRequest) -> HttpResponse:
    """The site icon for pages that do not name one (the admin, the API docs)."""
    from django.templatetags.static import static

    response = redirect(static("favicon.svg"), permanent=False)
    response["Cache-Control"] = "public, max-age=86400"
    return response
