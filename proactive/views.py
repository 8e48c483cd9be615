"""/proactive/: the weekly early-warning list and the topics (专题). Supervisors and
admins only; within that, every list is cut to the user's scope by selectors."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.models import Role
from proactive import services
from proactive.detection import week_start
from proactive.models import Milestone, Signal
from proactive.selectors import orders_in_view, signal_summary, signals_visible_to, topics_visible_to
from web.helpers import role_required, visible_order
from web.order_list import label_rows
from workorders.errors import InvalidInput, WorkflowError

supervising = role_required(Role.SUPERVISOR, Role.ADMIN)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@supervising
def warnings(request):
    week = week_start(_date(request.GET.get("week")) or timezone.localdate())
    signals = signals_visible_to(request.user, week=week)[:50]
    return render(
        request,
        "proactive/warnings.html",
        {
            "week": week,
            "prev": week - timedelta(days=7),
            "next": week + timedelta(days=7),
            "rows": [signal_summary(request.user, s) for s in signals],
            "topics": topics_visible_to(request.user)[:50],
        },
    )


def _owners():
    return get_user_model().objects.filter(memberships__role__in=services.MANAGING_ROLES).distinct().order_by("pk")


@supervising
def promote(request, pk: int):
    signal = get_object_or_404(Signal, pk=pk)
    if not signals_visible_to(request.user, week=signal.week).filter(pk=pk).exists():
        raise Http404
    errors, values = {}, {}
    if request.method == "POST":
        values = request.POST
        owner = _owners().filter(pk=request.POST.get("owner") or 0).first()
        try:
            topic = services.topic_promote(
                signal=signal,
                actor=request.user,
                title=request.POST.get("title", ""),
                owner=owner,
                plan=request.POST.get("plan", ""),
                due=_date(request.POST.get("due")),
            )
        except InvalidInput as e:
            errors = e.errors
        else:
            return redirect("proactive:topic", pk=topic.pk)
    return render(
        request,
        "proactive/promote.html",
        {"s": signal_summary(request.user, signal), "owners": _owners(), "errors": errors, "values": values},
        status=400 if errors else 200,
    )


def _topic(request, pk: int):
    return get_object_or_404(topics_visible_to(request.user), pk=pk)


@supervising
def topic(request, pk: int, errors=None, status=200):
    t = _topic(request, pk)
    return render(
        request,
        "proactive/topic.html",
        {
            "t": t,
            # Titles as the viewer may read them (workorders.privacy), labels once a page.
            "orders": label_rows(
                request.user, list(orders_in_view(request.user, t.orders.values("pk")).order_by("-created_at")[:100])
            ),
            "milestones": t.milestones.all(),
            "events": t.events.select_related("actor"),
            "volume": services.topic_volume(topic=t),
            # Where a 未诉先办 order may be placed: the topic's own street or grid first.
            "places": _places(t),
            "errors": errors or {},
        },
        status=status,
    )


def _places(t):
    from grids.models import OrgUnit, UnitKind

    units = OrgUnit.objects.filter(kind__in=[UnitKind.COMMUNITY, UnitKind.GRID], is_active=True)
    if t.place_id:
        units = (
            units.filter(pk__in=[t.place_id])
            | units.filter(parent_id=t.place_id)
            | units.filter(parent__parent_id=t.place_id)
        )
    return units.select_related("parent").order_by("parent__name", "code")[:500]


@supervising
@require_POST
def topic_act(request, pk: int, action: str):
    t = _topic(request, pk)
    try:
        if action == "link":
            order = visible_order(request.user, request.POST.get("number", "").strip())
            services.topic_link_order(topic=t, order=order, actor=request.user)
        elif action == "milestone":
            services.milestone_add(
                topic=t, actor=request.user, title=request.POST.get("title", ""), due=_date(request.POST.get("due"))
            )
        elif action == "done":
            m = get_object_or_404(Milestone, pk=request.POST.get("milestone") or 0, topic=t)
            services.milestone_complete(milestone=m, actor=request.user)
        elif action == "raise":
            from grids.models import OrgUnit, UnitKind

            place = OrgUnit.objects.filter(
                pk=request.POST.get("place") or 0, kind__in=[UnitKind.COMMUNITY, UnitKind.GRID], is_active=True
            ).first()
            order = services.topic_raise_order(
                topic=t,
                actor=request.user,
                description=request.POST.get("description", ""),
                place=place,
                address=request.POST.get("address", ""),
            )
            messages.success(request, _("已生成未诉先办工单 %(n)s，待受理。") % {"n": order.number})
        elif action == "close":
            version = int(request.POST.get("version") or 0)
            services.topic_close(topic=t, actor=request.user, result=request.POST.get("result", ""), version=version)
        else:
            raise Http404
    except InvalidInput as e:
        return topic(request, pk, errors={action: [m for ms in e.errors.values() for m in ms]}, status=400)
    except WorkflowError as e:
        return topic(request, pk, errors={action: [e.message]}, status=409)
    return redirect("proactive:topic", pk=t.pk)
