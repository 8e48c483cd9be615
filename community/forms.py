"""Page forms of the community app."""

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import EmergencyLine
from web.forms import VersionedForm
from workorders.text_limits import NOTE_MAX


class EmergencyTransferForm(VersionedForm):
    line = forms.ChoiceField(label=_("转接热线"), choices=EmergencyLine.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("转接说明"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("记录转接原因与对方受理情况。"),
    )
