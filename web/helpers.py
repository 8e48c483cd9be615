"""Small helpers shared by the page views: scoping, error mapping, which actions to offer."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404
from django.utils.translation import gettext as _

from grids.models import OrgUnit, Role
from grids.selectors import roles_of
from workorders.errors import InvalidInput, NotAllowed, WorkflowError
from workorders.models import WorkOrder
from workorders.scope import order_visible_to
from workorders.transitions import TRANSITIONS, allowed_kinds
from workorders.workflow import authorize

# Where each role starts its day, in order of precedence for users with several roles.
ROLE_HOME = [
    (Role.OPERATOR, "web:ops"),
    (Role.DISPATCHER, "web:desk"),
    (Role.SUPERVISOR, "web:dashboard"),
    (Role.ADMIN, "web:dashboard"),
    (Role.HANDLER, "web:workbench"),
    (Role.GRID_WORKER, "web:patrol"),  # out on the round, on a phone
]


def home_url_name(user: AbstractBaseUser) -> str:
    roles = roles_of(user)
    for role, name in ROLE_HOME:
        if role in roles:
            return name
    return "web:workbench"


def role_required(*roles: str):
    """A page for users holding one of ``roles``; anyone else gets 404 (not 403): a page
    outside one's work is treated like an order outside one's scope."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not (roles_of(request.user) & set(roles)) and not request.user.is_superuser:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def visible_order(user: AbstractBaseUser, number: str) -> WorkOrder:
    """The order if the user may see it, else 404 (never reveal that it exists).

    The row is read by its number and the scope checked on it (order_visible_to: the
    same rule as the list's, in Python where the row has the answer): filtering by the
    whole scope's condition built and compiled an OR of EXISTS clauses for one row,
    several ms of CPU on every order page and action."""
    order = (
        WorkOrder.objects.select_related(
            "category__parent", "current_unit", "lead_unit", "street", "community", "grid", "parent"
        )
        .filter(number=number)
        .first()
    )
    if order is None or not order_visible_to(user, order):
        raise Http404
    return order


def actions_for(user: AbstractBaseUser, order: WorkOrder) -> list[str]:
    """Event kinds this user may apply to this order right now: the table's kinds for
    the status, filtered by the same authorize() the workflow will run."""
    kinds = []
    for kind in allowed_kinds(order.status):
        rule = TRANSITIONS[kind]
        try:
            authorize(rule, user, order)
        except NotAllowed:
            continue
        kinds.append(kind)
    # 下派 is only offered where there is someone below to pass the order to (a grid
    # has no sub-units; the service would refuse every choice).
    if "sub_dispatch" in kinds and not OrgUnit.objects.filter(parent_id=order.current_unit_id, is_active=True).exists():
        kinds.remove("sub_dispatch")
    return kinds


def apply_errors(form: forms.Form, exc: WorkflowError) -> None:
    """Put a workflow error on the form: field errors where the field exists, the rest
    (conflicts, refused transitions) as non-field errors, so the page keeps the input."""
    if isinstance(exc, InvalidInput):
        for field, messages in exc.errors.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
    else:
        form.add_error(None, exc.message)


def intake_from_form(*, form: forms.Form, **fields) -> WorkOrder | None:
    """An order from a page form (resident or patrol) through work_order_intake, which
    checks the photo, writes order and photo in one transaction and derives the title.
    On a workflow error the form gets the messages and None is returned; a photo must
    then be picked again (browsers never refill a file input), which the form says."""
    from workorders.services import work_order_intake

    try:
        return work_order_intake(**fields)
    except WorkflowError as exc:
        apply_errors(form, exc)
        return None


def ask_for_photo_again(request, form: forms.Form) -> None:
    if request.FILES.get("photo") and form.errors:
        form.add_error("photo", _("出于安全原因，请重新选择照片。"))
