"""Pages of the community app: the 回头看 queue and its figures."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from community.models import RevisitState
from community.revisits import revisit_figures, revisit_record, revisits_due
from grids.models import Role
from grids.selectors import roles_of
from web.helpers import role_required
from workorders.errors import WorkflowError
from workorders.privacy import caller_for
from workorders.text_limits import NOTE_MAX

FIGURE_DAYS = 30


class RevisitForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("回头看结果"),
        choices=[(s.value, s.label) for s in RevisitState if s != RevisitState.PENDING],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("说明"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("不满意时必填：市民说问题又出现了什么。"),
    )


def _rows(request, due, bound: dict | None = None) -> list[dict]:
    bound = bound or {}
    return [
        {
            "revisit": r,
            "caller": caller_for(request.user, r.order),
            "form": bound.get(r.pk) or RevisitForm(auto_id=f"r{r.pk}_%s"),
        }
        for r in due[:30]
    ]


def _page(request: HttpRequest, bound: dict | None = None, status: int = 200) -> HttpResponse:
    now = timezone.now()
    due = revisits_due(user=request.user, now=now)
    figures = revisit_figures(user=request.user, since=now - timedelta(days=FIGURE_DAYS), until=now)
    may_record = Role.OPERATOR in roles_of(request.user)
    context = {
        "rows": _rows(request, due, bound) if may_record else [],
        "total": due.count(),
        "figures": figures,
        "days": FIGURE_DAYS,
        "may_record": may_record,
    }
    return render(request, "community/revisits.html", context, status=status)


@role_required(Role.OPERATOR, Role.SUPERVISOR)
def revisits(request: HttpRequest) -> HttpResponse:
    return _page(request)


@role_required(Role.OPERATOR)
@require_POST
def revisit_answer(request: HttpRequest, pk: int) -> HttpResponse:
    revisit = get_object_or_404(revisits_due(user=request.user), pk=pk)
    form = RevisitForm(request.POST, auto_id=f"r{pk}_%s")
    if form.is_valid():
        try:
            revisit_record(
                revisit=revisit,
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except WorkflowError as exc:
            if hasattr(exc, "errors"):
                for field, errors in exc.errors.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("工单 %(n)s：回头看已记录为「%(s)s」。")
                % {"n": revisit.order.number, "s": RevisitState(form.cleaned_data["outcome"]).label},
            )
            return redirect("community:revisits")
    return _page(request, bound={revisit.pk: form}, status=400)


@role_required(Role.ADMIN, Role.SUPERVISOR, Role.GRID_WORKER, Role.HANDLER)
def contact_card(request: HttpRequest, code: str, size: str) -> HttpResponse:
    """The community's 便民联系卡 as a PDF (A6 card or A4), QR to its 一号一码 form."""
    from django.http import Http404
    from django.urls import reverse

    from community.card import SIZES, contact_card_pdf
    from grids.models import OrgUnit, UnitKind

    if size not in SIZES:
        raise Http404
    community = get_object_or_404(
        OrgUnit.objects.select_related("parent"), code=code, kind=UnitKind.COMMUNITY, is_active=True
    )
    url = request.build_absolute_uri(reverse("web:public_report_at", args=[community.code]))
    response = HttpResponse(contact_card_pdf(community=community, url=url, size=size), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="card-{community.code}-{size}.pdf"'
    return response


def _building_form(request: HttpRequest, building, captain=None) -> HttpResponse:
    """The public report form, placed at ``building`` (and by ``captain`` when given)."""
    from community.buildings import building_report
    from web import throttle
    from web.forms import PublicForm
    from web.helpers import ask_for_photo_again
    from web.views.public import SUBMIT_LIMIT

    initial = {"address": f"{building.address} {building.name}"}
    if captain is not None:
        initial.update(caller_phone=captain.phone, caller_name=captain.name)
    form = PublicForm(request.POST, request.FILES) if request.method == "POST" else PublicForm(initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if not throttle.hit(request, "submit", limit=SUBMIT_LIMIT[0], window=SUBMIT_LIMIT[1]):
            form.add_error(None, _("提交过于频繁，请稍后再试或拨打 12345。"))
            status = 429
        elif form.is_valid() and not form.cleaned_data["website"]:
            d = form.cleaned_data
            try:
                order = building_report(
                    building=building,
                    description=d["description"],
                    caller_phone=d["caller_phone"],
                    caller_name=d["caller_name"],
                    photo=d["photo"],
                    captain=captain,
                )
            except WorkflowError as exc:
                for field, errors in getattr(exc, "errors", {"__all__": [exc.message]}).items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                request.session["public_receipt"] = {"number": order.number, "code": order.tracking_code}
                return redirect("web:public_done")
        ask_for_photo_again(request, form)
    context = {"form": form, "building": building, "captain": captain}
    return render(request, "community/building_report.html", context, status=status)


def building_report_page(request: HttpRequest, code: str) -> HttpResponse:
    """一楼一码: the form behind a building's poster (no login)."""
    from community.models import Building

    building = get_object_or_404(Building.objects.select_related("community"), code=code)
    return _building_form(request, building)


def captain_report_page(request: HttpRequest, token: str) -> HttpResponse:
    """A 楼长's own link (no login; the token is the key)."""
    from community.models import BuildingCaptain

    captain = get_object_or_404(
        BuildingCaptain.objects.select_related("building__community"), token=token, is_active=True
    )
    return _building_form(request, captain.building, captain)


@role_required(Role.ADMIN, Role.SUPERVISOR, Role.GRID_WORKER, Role.HANDLER)
def building_poster(request: HttpRequest, code: str) -> HttpResponse:
    """The building's 一楼一码 poster (A4 PDF), QR to its own form."""
    from django.urls import reverse

    from community.card import building_poster_pdf
    from community.models import Building

    building = get_object_or_404(Building.objects.select_related("community"), code=code)
    url = request.build_absolute_uri(reverse("community:building_report", args=[building.code]))
    response = HttpResponse(building_poster_pdf(building=building, url=url), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="building-{building.code}.pdf"'
    return response


@login_required
def captain_home(request: HttpRequest) -> HttpResponse:
    """A logged-in 楼长's one page: report for one of his own buildings (pre-filled) and
    the list of what he reported with its status. Anyone without a captaincy: 404."""
    from community.buildings import building_report
    from community.captains import captain_posts, captain_reports
    from community.forms import CaptainReportForm
    from community.models import Building
    from web.helpers import ask_for_photo_again

    posts = {p.building_id: p for p in captain_posts(request.user)}
    if not posts:
        raise Http404
    buildings = Building.objects.filter(pk__in=posts).select_related("community").order_by("code")
    posted = request.method == "POST"
    form = CaptainReportForm(request.POST if posted else None, request.FILES if posted else None, buildings=buildings)
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            building = form.cleaned_data["building"]
            try:
                order = building_report(
                    building=building,
                    description=form.cleaned_data["description"],
                    photo=form.cleaned_data["photo"],
                    captain=posts[building.pk],
                )
            except WorkflowError as exc:
                for field, errors in getattr(exc, "errors", {"__all__": [exc.message]}).items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("已提交，工单号 %(n)s。") % {"n": order.number})
                return redirect("community:captain_home")
        ask_for_photo_again(request, form)
    reports = list(captain_reports(user=request.user)[:50])
    context = {"form": form, "buildings": buildings, "reports": reports}
    return render(request, "community/captain_home.html", context, status=status)
