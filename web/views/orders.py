"""Order page (everything about one order, and the actions the user may take now),
the action endpoint, attachments, and home (each role's own page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.models import EmergencyTransferIn
from web.actions import ACTIONS, label, page_kinds
from web.helpers import actions_for, apply_errors, home_url_name, visible_order
from web.lights import light
from web.outcomes import outcome_text
from workorders.choices import DeadlineState
from workorders.errors import Conflict, NotAllowed, WorkflowError
from workorders.models import WorkOrder
from workorders.privacy import caller_for
from workorders.selectors import work_order_timeline, work_orders_visible_to
from workorders.services import work_order_reveal_caller
from workorders.services.duplicates import attached_calls_for, caller_counts
from workorders.services.site_check import site_check_summary


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(home_url_name(request.user))


def _ids(key: str) -> str:
    """Each action form on the order page gets its own ids (several have a note field)."""
    return f"{key}_%s"


def _forms_for(order: WorkOrder, keys: list[str], bound: dict | None = None) -> list[dict]:
    bound = bound or {}
    out = []
    for key in keys:
        action = ACTIONS[key]
        form = bound.get(key) or action.form(
            order=order, initial={"expected_version": order.version}, auto_id=_ids(key)
        )
        out.append(
            {
                "key": key,
                "label": label(key),
                "form": form,
                "danger": action.danger,
                "open": key in bound,
                "confirm": action.confirm,
            }
        )
    return out


def order_context(request: HttpRequest, order: WorkOrder, bound: dict | None = None) -> dict:
    from attachments.models import Attachment

    deadlines = list(order.deadlines.select_related("unit").order_by("opened_at", "id"))
    open_deadlines = [d for d in deadlines if d.state == DeadlineState.OPEN]
    warn_at = min((d.warn_at for d in open_deadlines), default=None)
    return {
        "order": order,
        "caller": caller_for(request.user, order),
        "timeline": work_order_timeline(order),
        "deadlines": deadlines,
        "light": light(order.due_at, warn_at),
        "attachments": Attachment.objects.filter(order=order),
        "cohandlings": order.cohandlings.select_related("unit"),
        "extensions": order.extension_requests.order_by("-created_at"),
        "actions": _forms_for(order, page_kinds(actions_for(request.user, order)), bound),
        "revealed": request.session.get(f"revealed:{order.pk}"),
        "callers": caller_counts([order.pk])[order.pk],
        "attached_calls": attached_calls_for(request.user, order),
        "site_check": site_check_summary(order),
        # 由 110 转来: who may see the order sees which emergency line handed it over.
        "transferred_in": EmergencyTransferIn.objects.filter(order=order).first(),
    }


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = visible_order(request.user, number)
    return render(request, "web/order.html", order_context(request, order))


def _next_is(request: HttpRequest, name: str) -> bool:
    """Whether the form came from the page named ``name`` (its ``next`` points there)."""
    target = (request.POST.get("next") or "").split("#", 1)[0].split("?", 1)[0]
    try:
        return resolve(target).url_name == name
    except Resolver404:
        return False


@login_required
@require_POST
def order_act(request: HttpRequest, number: str, key: str) -> HttpResponse:
    """Apply one action. Success: back to where the user came from (``next``). Failure:
    the order page again with this form open, its input kept and the reason shown."""
    order = visible_order(request.user, number)
    action = ACTIONS.get(key)
    if action is None:
        raise Http404
    form = action.form(request.POST, request.FILES, order=order, auto_id=_ids(key))
    status = 400
    if form.is_valid():
        try:
            action.perform(order, request.user, form.cleaned_data)
        except WorkflowError as exc:
            apply_errors(form, exc)
            status = 409 if isinstance(exc, Conflict) or exc.code == "invalid_transition" else 400
            if isinstance(exc, NotAllowed):
                status = 403
        else:
            done = WorkOrder.objects.select_related("current_unit", "category").get(pk=order.pk)
            messages.success(request, outcome_text(key, done))
            target = request.POST.get("next") or ""
            if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                return redirect(target)
            # After a return (退单) or a sub-dispatch the order may have left this user's
            # scope; then go back to their own page rather than to a 404.
            if not work_orders_visible_to(request.user).filter(pk=order.pk).exists():
                return redirect(home_url_name(request.user))
            return redirect("web:order", number=order.number)
    if key == "callback" and _next_is(request, "callbacks"):
        # A refused callback keeps the operator in the queue, the form shown in place.
        from web.views.callbacks import callbacks_page

        return callbacks_page(request, bound={order.pk: form}, status=status)
    if request.FILES and form.errors and "photo" in form.fields:
        form.add_error("photo", _("出于安全原因，请重新选择照片。"))  # browsers never refill a file input
    order.refresh_from_db()
    context = order_context(request, order, bound={key: form})
    context["failed_action"] = label(key)
    return render(request, "web/order.html", context, status=status)


@login_required
@require_POST
def order_reveal(request: HttpRequest, number: str) -> HttpResponse:
    """Show the caller's full number to a user whose work needs it; the workflow logs it."""
    order = visible_order(request.user, number)
    try:
        request.session[f"revealed:{order.pk}"] = work_order_reveal_caller(order=order, actor=request.user)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    return redirect("web:order", number=order.number)


@login_required
def attachment_file(request: HttpRequest, pk: int) -> FileResponse:
    from attachments.models import Attachment

    # Only a re-encoded photo: the bytes as sent (EXIF with the GPS position, or not an
    # image at all) are never served, not even to staff (attachments/processing.py).
    attachment = get_object_or_404(Attachment, pk=pk, state=Attachment.State.READY)
    if not work_orders_visible_to(request.user).filter(pk=attachment.order_id).exists():
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
