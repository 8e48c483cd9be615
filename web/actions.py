"""The actions a page offers on one order: kind → form and the service it calls.

Which of them a user sees is decided by ``helpers.actions_for`` (the transition table
plus the workflow's own authorize()); this module only knows how to ask for input and
which service to call with it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from community.emergency import emergency_transfer_create
from community.forms import EmergencyTransferForm, EscalateForm
from community.routing import order_escalate
from web import forms as f
from web.desk_forms import UrgeForm
from web.site_check_forms import SiteCheckForm
from workorders import services as s
from workorders.models import WorkOrder
from workorders.transitions import TRANSITIONS


@dataclass(frozen=True)
class Action:
    form: type[f.VersionedForm]
    perform: Callable[[WorkOrder, AbstractBaseUser, dict], WorkOrder]
    danger: bool = False
    confirm: object = None  # asked before an action that notifies people


def _v(d: dict) -> int:
    return d["expected_version"]


def _merge(o, u, d):
    # Within the user's scope: an order they may not see answers like one that does not exist.
    return s.work_order_merge(order=o, actor=u, into=d["into"], expected_version=_v(d))


def _reply(o, u, d):
    """办结上报 with its optional on-site photo: the photo passes the attachments checks
    before anything is written, then the reply and the photo commit together, so a
    reply never claims a photo that was not stored (nor a photo sits on an order whose
    reply failed)."""
    from attachments.services import attachment_add, attachment_check

    photo = d.get("photo")
    if photo:
        attachment_check(upload=photo, field="photo", public=False)
    with transaction.atomic():
        done = s.work_order_reply(order=o, actor=u, reply=d["reply"], expected_version=_v(d))
        if photo:
            attachment_add(order=done, upload=photo, field="photo", public=False)
    return done


# Keyed by the rules' ``page`` (workorders/transitions.py); hotline/tests/test_one_table.py
# checks that every key a rule names is here and nothing else is.
ACTIONS: dict[str, Action] = {
    "accept": Action(
        f.AcceptForm,
        lambda o, u, d: s.work_order_accept(
            order=o, actor=u, category=d["category"], urgency=d["urgency"], expected_version=_v(d)
        ),
    ),
    "reject": Action(
        f.RejectForm,
        lambda o, u, d: s.work_order_reject(order=o, actor=u, reason=d["reason"], expected_version=_v(d)),
        danger=True,
    ),
    "merge": Action(f.MergeForm, _merge),
    "answer_now": Action(
        f.AnswerForm,
        lambda o, u, d: s.work_order_answer_now(order=o, actor=u, answer=d["answer"], expected_version=_v(d)),
    ),
    "assign": Action(
        f.UnitForm,
        lambda o, u, d: s.work_order_assign(order=o, actor=u, unit=d["unit"], note=d["note"], expected_version=_v(d)),
    ),
    "reassign": Action(
        f.UnitForm,
        lambda o, u, d: s.work_order_reassign(
            order=o, actor=u, unit=d["unit"], note=d["note"], overrule_return=False, expected_version=_v(d)
        ),
    ),
    "sign": Action(f.VersionedForm, lambda o, u, d: s.work_order_sign(order=o, actor=u, expected_version=_v(d))),
    "return": Action(
        f.ReturnForm,
        lambda o, u, d: s.work_order_return(
            order=o, actor=u, reason=d["reason"], note=d["note"], expected_version=_v(d)
        ),
        danger=True,
    ),
    "return_up": Action(
        f.RequiredNoteForm,
        lambda o, u, d: s.work_order_return_up(order=o, actor=u, note=d["note"], expected_version=_v(d)),
        danger=True,
    ),
    "sub_dispatch": Action(
        f.SubDispatchForm,
        lambda o, u, d: s.work_order_sub_dispatch(
            order=o, actor=u, unit=d["unit"], note=d["note"], expected_version=_v(d)
        ),
    ),
    "contact": Action(
        f.NoteForm, lambda o, u, d: s.work_order_contact(order=o, actor=u, note=d["note"], expected_version=_v(d))
    ),
    "request_extension": Action(
        f.ExtensionForm,
        lambda o, u, d: s.work_order_request_extension(
            order=o, actor=u, proposed_due=d["proposed_due"], reason=d["reason"], expected_version=_v(d)
        ),
    ),
    "approve_extension": Action(
        f.NoteForm,
        lambda o, u, d: s.work_order_approve_extension(order=o, actor=u, note=d["note"], expected_version=_v(d)),
    ),
    "deny_extension": Action(
        f.RequiredNoteForm,
        lambda o, u, d: s.work_order_deny_extension(order=o, actor=u, note=d["note"], expected_version=_v(d)),
        danger=True,
    ),
    "add_cohandler": Action(
        f.CohandlerForm,
        lambda o, u, d: s.work_order_add_cohandlers(
            order=o, actor=u, units=list(d["units"]), note=d["note"], expected_version=_v(d)
        ),
    ),
    "cohandler_sign": Action(
        f.VersionedForm, lambda o, u, d: s.work_order_cohandler_sign(order=o, actor=u, expected_version=_v(d))
    ),
    "cohandler_report": Action(
        f.RequiredNoteForm,
        lambda o, u, d: s.work_order_cohandler_report(order=o, actor=u, report=d["note"], expected_version=_v(d)),
    ),
    "reclassify": Action(
        f.ReclassifyForm,
        lambda o, u, d: s.work_order_reclassify(
            order=o, actor=u, category=d["category"], place=d["place"], note=d["note"], expected_version=_v(d)
        ),
    ),
    # Urging does not change the order, so it is not version-checked.
    "urge": Action(
        UrgeForm,
        lambda o, u, d: s.work_order_urge(order=o, actor=u, note=d["note"]),
        confirm=_("督办将短信通知承办单位，并记入督办次数。确定？"),
    ),
    "reply": Action(f.ReplyForm, lambda o, u, d: _reply(o, u, d)),
    "approve": Action(
        f.NoteForm, lambda o, u, d: s.work_order_approve(order=o, actor=u, note=d["note"], expected_version=_v(d))
    ),
    "send_back": Action(
        f.RequiredNoteForm,
        lambda o, u, d: s.work_order_send_back(order=o, actor=u, note=d["note"], expected_version=_v(d)),
        danger=True,
    ),
    "callback": Action(
        f.CallbackForm,
        lambda o, u, d: s.work_order_callback(
            order=o,
            actor=u,
            contacted=d["contacted"],
            resolution=d["resolution"] if d["contacted"] else "",
            satisfaction=d["satisfaction"] if d["contacted"] else "",
            **{k: d[k] for k in ("attitude", "process", "result") if d["contacted"]},  # 三满意 (issue 16)
            note=d["note"],
            expected_version=_v(d),
        ),
    ),
    # --- community app (issue 16) ---
    "transfer_emergency": Action(
        EmergencyTransferForm,
        lambda o, u, d: emergency_transfer_create(
            order=o, actor=u, line=d["line"], note=d["note"], expected_version=_v(d)
        ),
        danger=True,
    ),
    "escalate": Action(
        EscalateForm,
        lambda o, u, d: order_escalate(order=o, actor=u, to=d["to"], note=d["note"], expected_version=_v(d)),
    ),
    # --- end community ---
    # 现场核查 (issue 16): the photo goes through the attachments service inside the event's
    # transaction, so a refused check stores no photo.
    "site_check": Action(
        SiteCheckForm,
        lambda o, u, d: s.work_order_site_check(
            order=o, actor=u, photo=d["photo"], lat=d["lat"], lng=d["lng"], note=d["note"], expected_version=_v(d)
        ),
    ),
}


def page_kinds(kinds: list[str]) -> list[str]:
    """Table kinds → the page's action keys (the rules' ``page``: the callback outcomes
    become one form; kinds without one are done elsewhere)."""
    out = []
    for kind in kinds:
        key = TRANSITIONS[kind].page
        if key is not None and key not in out:
            out.append(key)
    return out


def label(key: str) -> str:
    if key == "callback":
        return str(_("回访"))
    return str(TRANSITIONS[key].label)
