"""The desk's decision forms: each note box says what it is for and who will read it,
so approving and rejecting never look alike (web/unit_picker.py has the dispatch forms)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from web.forms import VersionedForm
from workorders.text_limits import NOTE_MAX


def _note(label, required: bool) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=NOTE_MAX, required=required, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApproveForm(VersionedForm):
    note = _note(_("审核意见（可选）"), False)


class SendBackForm(VersionedForm):
    note = _note(_("驳回理由（必填，将通知承办单位重办）"), True)


class ApproveExtensionForm(VersionedForm):
    note = _note(_("批准说明（可选）"), False)


class DenyExtensionForm(VersionedForm):
    note = _note(_("驳回延期的理由（必填，将通知承办单位）"), True)


class UrgeForm(VersionedForm):
    """督办: the instruction goes to the unit by SMS, so it is asked for, not fixed."""

    note = _note(_("督办要求（必填，将短信通知承办单位）"), True)
