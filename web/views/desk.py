"""Dispatcher desk (派单员): four queues — unroutable orders, returns, extension requests,
replies to review — as one compact list with a detail pane. Actions happen in place
(htmx; a plain form post without JavaScript) and say what happened; the list keeps its
page, and the pane moves on to the next order. Which orders wait where, and in what
order, is dispatch.selectors'; what each action does is the workorders services'."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dispatch.models import ROUTE_PROBLEMS
from dispatch.selectors import (
    DESK_TABS,
    desk_counts,
    desk_decision,
    desk_in_queue,
    desk_queue,
    desk_return_event,
    desk_returning_unit,
    desk_row_notes,
    desk_rows,
)
from grids.models import Role
from triage.models import VerdictCode
from web import desk_forms
from web.actions import ACTIONS
from web.helpers import apply_errors, role_required, visible_order
from web.keyset import BadCursor, keyset_page, rows_after
from web.outcomes import conflict_text, outcome_text
from web.unit_picker import DeskUnitForm, OverruleForm, dispatchable_units
from workorders import services as s
from workorders.choices import DeadlineState, ExtensionState, ReturnReason, Stage
from workorders.errors import Conflict, NotAllowed, WorkflowError
from workorders.models import WorkOrder

PAGE = 50

TAB_LABELS = {
    "unrouted": _("待派单"),
    "returned": _("退单审核"),
    "extensions": _("延期审批"),
    "replies": _("办结审核"),
}

# What the desk explains: the router's problems and the model's doubts (their labels are
# the codes' own, dispatch.models.RouteReason and triage.models.VerdictCode).
PROBLEMS = {
    **{code: code.label for code in ROUTE_PROBLEMS},
    **{code: code.label for code in (VerdictCode.UNSURE, VerdictCode.DISAGREES)},
}


@dataclass(frozen=True)
class DeskAction:
    form: type
    perform: Callable[[WorkOrder, object, dict, dict], WorkOrder]
    button: object
    key: str  # the keyboard shortcut, shown on the button and in the page's help
    style: str = "btn-primary primary"  # btn-*: the design system's; primary/danger: today's CSS
    confirm: object = None  # asked before an action that notifies people


def _v(d):
    return d["expected_version"]


DESK_ACTIONS: dict[str, DeskAction] = {
    "assign": DeskAction(
        DeskUnitForm,
        lambda o, u, d, c: s.work_order_assign(
            order=o, actor=u, unit=d["unit"], note=d["note"], expected_version=_v(d)
        ),
        _("派单"),
        "d",
    ),
    "reclassify": DeskAction(
        ACTIONS["reclassify"].form,
        lambda o, u, d, c: ACTIONS["reclassify"].perform(o, u, d),
        _("保存更正"),
        "c",
        style="btn-secondary",
    ),
    "reassign": DeskAction(
        DeskUnitForm,
        lambda o, u, d, c: s.work_order_reassign(
            order=o, actor=u, unit=d["unit"], note=d["note"], overrule_return=False, expected_version=_v(d)
        ),
        _("重新派单"),
        "d",
    ),
    # The unit comes from the return event, never from the post: this form can only
    # send the order back where it came from.
    "overrule": DeskAction(
        OverruleForm,
        lambda o, u, d, c: s.work_order_reassign(
            order=o, actor=u, unit=c["from_unit"], note=d["note"], overrule_return=True, expected_version=_v(d)
        ),
        _("驳回退单，仍派原单位"),
        "o",
        style="btn-danger primary danger",
        confirm=_("退单理由将被驳回，工单派回原单位并短信通知。确定？"),
    ),
    "approve_extension": DeskAction(
        desk_forms.ApproveExtensionForm,
        lambda o, u, d, c: s.work_order_approve_extension(order=o, actor=u, note=d["note"], expected_version=_v(d)),
        _("批准延期"),
        "a",
    ),
    "deny_extension": DeskAction(
        desk_forms.DenyExtensionForm,
        lambda o, u, d, c: s.work_order_deny_extension(order=o, actor=u, note=d["note"], expected_version=_v(d)),
        _("驳回延期"),
        "r",
        style="btn-danger primary danger",
        confirm=_("驳回延期将通知承办单位按原时限办结。确定？"),
    ),
    "approve": DeskAction(
        desk_forms.ApproveForm,
        lambda o, u, d, c: s.work_order_approve(order=o, actor=u, note=d["note"], expected_version=_v(d)),
        _("审核通过"),
        "a",
    ),
    "send_back": DeskAction(
        desk_forms.SendBackForm,
        lambda o, u, d, c: s.work_order_send_back(order=o, actor=u, note=d["note"], expected_version=_v(d)),
        _("驳回重办"),
        "r",
        style="btn-danger primary danger",
        confirm=_("驳回后工单退回承办单位重办，并通知该单位。确定？"),
    ),
}

TAB_ACTIONS = {
    "unrouted": ["assign", "reclassify"],
    "returned": ["reassign", "overrule"],
    "extensions": ["approve_extension", "deny_extension"],
    "replies": ["approve", "send_back"],
}


def _tab(request: HttpRequest) -> str:
    tab = request.GET.get("tab") or request.POST.get("tab") or "unrouted"
    if tab not in DESK_TABS:
        raise Http404
    return tab


def _problems(reasons) -> str:
    if isinstance(reasons, dict):  # older routers returned one dict
        reasons = [{"code": reasons.get("problem", "")}]
    words = [str(PROBLEMS[r.get("code")]) for r in reasons or [] if r.get("code") in PROBLEMS]
    return "；".join(dict.fromkeys(words))


def _model_categories(reasons) -> list[dict]:
    for r in reasons or []:
        if isinstance(r, dict) and r.get("categories"):
            return [{"code": c[0], "name": c[1], "confidence": c[2]} for c in r["categories"]]
    return []


def _pane(request: HttpRequest, tab: str, order: WorkOrder | None, bound: dict | None = None, **extra) -> dict:
    """Everything the detail pane shows for ``order`` in ``tab``, with the forms of the
    tab's actions (``bound``: a form that failed, kept with its input and errors)."""
    ctx: dict = {"tab": tab, "order": order, **extra}
    if order is None:
        return ctx
    bound = bound or {}
    init = {"expected_version": order.version}
    forms_ctx: dict = {}
    units = dispatchable_units()
    if tab == "unrouted":
        decision = desk_decision(order)
        ctx.update(
            suggestion=decision.unit,
            suggestions=decision.suggestions,
            problem=_problems(decision.reasons),
            model_categories=_model_categories(decision.reasons),
        )
        suggestions = list(decision.suggestions)
        if decision.unit is not None and all(x.get("unit") != decision.unit.pk for x in suggestions):
            suggestions.insert(0, {"unit": decision.unit.pk, "name": decision.unit.name, "why": str(_("派单规则"))})
        forms_ctx["assign"] = bound.get("assign") or DeskUnitForm(
            order=order, initial=dict(init), units=units, suggestions=suggestions, auto_id="assign_%s"
        )
        forms_ctx["reclassify"] = bound.get("reclassify") or ACTIONS["reclassify"].form(
            order=order, initial=dict(init), auto_id="reclassify_%s"
        )
    elif tab == "returned":
        event = desk_return_event(order)
        from_unit = desk_returning_unit(event)
        reason = event.payload.get("reason") if event else None
        exclude = {from_unit.pk} if from_unit else set()
        decision = desk_decision(order, exclude=exclude)
        ctx.update(
            return_event=event,
            from_unit=from_unit,
            return_reason=ReturnReason(reason).label if reason in ReturnReason.values else "",
        )
        forms_ctx["reassign"] = bound.get("reassign") or DeskUnitForm(
            order=order,
            initial=dict(init),
            units=units,
            suggestions=decision.suggestions,
            exclude=exclude,
            auto_id="reassign_%s",
        )
        if from_unit is not None:
            forms_ctx["overrule"] = bound.get("overrule") or OverruleForm(
                order=order, initial=dict(init), auto_id="overrule_%s"
            )
    elif tab == "extensions":
        request_row = order.extension_requests.filter(state=ExtensionState.PENDING).first()
        ctx["request"] = request_row
        # The limit an extension moves is the handling stage's, not the nearest timer.
        handle = order.deadlines.filter(stage=Stage.HANDLE, state=DeadlineState.OPEN).first()
        ctx["handle_due"] = handle.due_at if handle else None
        if request_row is not None and handle is not None:
            ctx["asked_for"] = request_row.proposed_due - handle.due_at
        for key in TAB_ACTIONS[tab]:
            forms_ctx[key] = bound.get(key) or DESK_ACTIONS[key].form(
                order=order, initial=dict(init), auto_id=f"{key}_%s"
            )
    else:
        from attachments.models import Attachment

        ctx["attachments"] = Attachment.objects.filter(order=order)
        # 现场核查 (issue 16): the check that counts for approval, beside the reply.
        from workorders.services.site_check import site_check_summary

        ctx["site_check"] = site_check_summary(order)
        for key in TAB_ACTIONS[tab]:
            forms_ctx[key] = bound.get(key) or DESK_ACTIONS[key].form(
                order=order, initial=dict(init), auto_id=f"{key}_%s"
            )
    ctx["actions"] = [
        {"key": k, "form": forms_ctx[k], "spec": DESK_ACTIONS[k]} for k in TAB_ACTIONS[tab] if k in forms_ctx
    ]
    return ctx


def _queue(request: HttpRequest, tab: str) -> dict:
    after = request.GET.get("after") or request.POST.get("after") or ""
    page = keyset_page(desk_rows(user=request.user, tab=tab), order=DESK_TABS[tab], after=after or None, size=PAGE)
    desk_row_notes(tab, page.rows)
    return {"rows": page.rows, "next_cursor": page.next_cursor, "after": after}


def _tabs(request: HttpRequest, tab: str) -> list[dict]:
    counts = desk_counts(user=request.user)
    return [{"key": k, "label": TAB_LABELS[k], "count": counts[k], "active": k == tab} for k in DESK_TABS]


def _desk_url(tab: str, after: str = "", number: str = "") -> str:
    query = {"tab": tab, **({"after": after} if after else {}), **({"order": number} if number else {})}
    return f"{reverse('web:desk')}?{urlencode(query)}"


@role_required(Role.DISPATCHER)
def desk(request: HttpRequest) -> HttpResponse:
    tab = _tab(request)
    try:
        queue = _queue(request, tab)
    except BadCursor:
        return HttpResponseBadRequest(_("分页参数无效，请从第一页开始。"))
    number = request.GET.get("order") or ""
    order = None
    extra: dict = {}
    if number:
        order = visible_order(request.user, number)
        if desk_in_queue(user=request.user, tab=tab, order=order) is None:
            extra["gone"] = conflict_text(user=request.user, order=order, in_queue=False)
    elif queue["rows"]:
        order = queue["rows"][0]
    context = {"tabs": _tabs(request, tab), "tab": tab, **queue, "pane": _pane(request, tab, order, **extra)}
    return render(request, "web/desk/desk.html", context)


@role_required(Role.DISPATCHER)
def desk_pane(request: HttpRequest, number: str) -> HttpResponse:
    """The detail pane alone (htmx, when j/k or a click selects a row)."""
    tab = _tab(request)
    order = visible_order(request.user, number)
    extra = {}
    if desk_in_queue(user=request.user, tab=tab, order=order) is None:
        extra["gone"] = conflict_text(user=request.user, order=order, in_queue=False)
    context = {"pane": _pane(request, tab, order, **extra), "tab": tab, "after": request.GET.get("after", "")}
    return render(request, "web/desk/_pane.html", context)


@role_required(Role.DISPATCHER)
@require_POST
def desk_act(request: HttpRequest, number: str, key: str) -> HttpResponse:
    tab = _tab(request)
    if key not in TAB_ACTIONS[tab]:
        raise Http404
    spec = DESK_ACTIONS[key]
    order = visible_order(request.user, number)
    after = request.POST.get("after", "")
    htmx = request.headers.get("HX-Request") == "true"
    queued = desk_in_queue(user=request.user, tab=tab, order=order)
    # The next order in line, from where this one sat (so the pane moves on in order).
    following = (
        rows_after(
            desk_queue(user=request.user, tab=tab),
            DESK_TABS[tab],
            [getattr(queued, f.lstrip("-")) for f in DESK_TABS[tab]],
        ).first()
        if queued is not None
        else None
    )
    extra_ctx = {}
    if key == "overrule":
        extra_ctx["from_unit"] = desk_returning_unit(desk_return_event(order))
    form_kwargs = {"units": dispatchable_units()} if spec.form is DeskUnitForm else {}
    form = spec.form(request.POST, order=order, auto_id=f"{key}_%s", **form_kwargs)
    status = 400
    conflict = None
    if form.is_valid() and (key != "overrule" or extra_ctx["from_unit"] is not None):
        try:
            done = spec.perform(order, request.user, form.cleaned_data, extra_ctx)
        except WorkflowError as exc:
            order.refresh_from_db()
            if order.version != form.cleaned_data["expected_version"]:
                status = 409
                still = desk_in_queue(user=request.user, tab=tab, order=order) is not None
                conflict = conflict_text(user=request.user, order=order, in_queue=still)
                bound = {}  # a fresh form at the new version, if the order is still here
                if not still:
                    order_for_pane, extra = order, {"gone": conflict}
                    conflict = None
                else:
                    order_for_pane, extra = order, {}
            else:
                apply_errors(form, exc)
                status = 403 if isinstance(exc, NotAllowed) else (409 if isinstance(exc, Conflict) else 400)
                bound, order_for_pane, extra = {key: form}, order, {}
        else:
            text = outcome_text(key, done)
            stays = desk_in_queue(user=request.user, tab=tab, order=done) is not None
            if not htmx:
                messages.success(request, text)
                return redirect(
                    _desk_url(tab, after, done.number if stays else (following.number if following else ""))
                )
            pane_order = done if stays else following
            context = {
                "pane": _pane(request, tab, pane_order),
                "tab": tab,
                "after": after,
                "flash": text,
                "tabs": _tabs(request, tab),
                "removed": None if stays else done.pk,
            }
            return render(request, "web/desk/_acted.html", context)
    else:
        if key == "overrule" and extra_ctx.get("from_unit") is None:
            form.add_error(None, _("此单没有可驳回的退单。"))
        bound, order_for_pane, extra = {key: form}, order, {}
    pane = _pane(request, tab, order_for_pane, bound=bound, **extra)
    pane["conflict"] = conflict
    if htmx:
        return render(request, "web/desk/_pane.html", {"pane": pane, "tab": tab, "after": after}, status=status)
    request.GET = request.GET.copy()
    request.GET["after"] = after
    queue = _queue(request, tab)
    context = {"tabs": _tabs(request, tab), "tab": tab, **queue, "pane": pane}
    return render(request, "web/desk/desk.html", context, status=status)
