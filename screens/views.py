"""/screens/: the center's (or a street's) page to publish notices and watch the
screens; /screens/k/<token>/: the kiosk itself, no login, opened by its secret token."""

from __future__ import annotations

from datetime import datetime

from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grids.models import Role
from screens import services
from screens.models import Notice, Priority
from screens.selectors import (
    QUIET_AFTER,
    community_month_figures,
    notices_current,
    notices_published_by,
    publishable_communities,
    screens_overview,
)
from web.helpers import role_required
from workorders.errors import InvalidInput, NotAllowed

publishing = role_required(Role.SUPERVISOR, Role.ADMIN)

# The kiosk's poll interval; ?poll= may shorten it (down to 2 s) for a test or a
# demonstration, never below, so a screen cannot be made to hammer the server.
POLL_SECONDS = 60


def _when(value: str | None) -> datetime | None:
    parsed = parse_datetime(value or "")
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@publishing
def center(request):
    communities = publishable_communities(request.user)
    if not communities.exists():
        raise Http404
    errors, values = {}, {}
    if request.method == "POST":
        values = request.POST
        try:
            ends = _when(values.get("ends_at"))
            services.notice_publish(
                actor=request.user,
                title=values.get("title", ""),
                body=values.get("body", ""),
                community_ids=[int(i) for i in values.getlist("communities") if i.isdigit()],
                starts_at=_when(values.get("starts_at")),
                ends_at=ends,
                priority=int(values.get("priority") or 0),
                image=request.FILES.get("image"),
            )
            return redirect(reverse("screens:center") + "?published=1")
        except (InvalidInput, NotAllowed) as exc:
            errors = getattr(exc, "errors", None) or {"form": [str(exc)]}
    now = timezone.now()
    return render(
        request,
        "screens/center.html",
        {
            "communities": communities,
            "chosen": {int(i) for i in values.getlist("communities") if i.isdigit()} if values else set(),
            "priorities": Priority.choices,
            "errors": errors,
            "values": values,
            "rows": screens_overview(user=request.user, now=now),
            "notices": notices_published_by(user=request.user),
            "quiet_minutes": int(QUIET_AFTER.total_seconds() // 60),
            "published": request.GET.get("published") == "1",
            "now": now,
        },
    )


@publishing
@require_POST
def withdraw(request, pk: int):
    notice = get_object_or_404(Notice, pk=pk)
    try:
        services.notice_withdraw(actor=request.user, notice=notice)
    except NotAllowed as exc:
        raise Http404 from exc
    return redirect("screens:center")


def _screen_or_404(token: str):
    screen = services.screen_check_in(token=token)
    if screen is None:
        raise Http404
    return screen


def _payload(request, screen, token: str) -> dict:
    now = timezone.now()
    notices = [
        {
            "id": n.pk,
            "title": n.title,
            "body": n.body,
            "priority": n.priority,
            "priority_label": str(n.get_priority_display()),
            "image": reverse("screens:image", args=[token, n.pk]) if n.image else None,
        }
        for n in notices_current(community=screen.community, now=now)
    ]
    return {
        "community": screen.community.name,
        "screen": screen.name,
        "updated_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        "notices": notices,
        "figures": community_month_figures(community=screen.community, now=now),
    }


@never_cache
def kiosk(request, token: str):
    screen = _screen_or_404(token)
    try:
        poll = max(2, min(POLL_SECONDS, int(request.GET.get("poll", POLL_SECONDS))))
    except ValueError:
        poll = POLL_SECONDS
    return render(
        request,
        "screens/kiosk.html",
        {"data": _payload(request, screen, token), "feed": reverse("screens:feed", args=[token]), "poll": poll},
    )


@never_cache
def feed(request, token: str):
    screen = _screen_or_404(token)
    return JsonResponse(_payload(request, screen, token), json_dumps_params={"ensure_ascii": False})


def image(request, token: str, pk: int):
    # Not a check-in: the image is loaded by the page that just checked in.
    screen = services.screen_by_token(token=token)
    if screen is None:
        raise Http404
    notice = get_object_or_404(notices_current(community=screen.community), pk=pk)
    if not notice.image:
        raise Http404
    response = FileResponse(notice.image.open("rb"), content_type=notice.image_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response
