"""Page forms of the community app."""

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import EmergencyLine
from community.routing import ESCALATION_TARGETS
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


class EscalateForm(VersionedForm):
    """上报: to the street above or to the grid management center, with the reason."""

    to = forms.ChoiceField(
        label=_("上报给"),
        choices=[(key, label) for key, (_kind, label) in ESCALATION_TARGETS.items()],
        widget=forms.RadioSelect,
        initial="street",
    )
    note = forms.CharField(
        label=_("上报理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("说明为什么超出本单位能力，需要上级处理。"),
    )


class CaptainReportForm(forms.Form):
    """A logged-in 楼长's report: which of his buildings (pre-filled), what, a photo."""

    building = forms.ModelChoiceField(label=_("楼栋"), queryset=None, empty_label=None)
    description = forms.CharField(label=_("反映的问题"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))
    photo = forms.FileField(label=_("照片（可选）"), required=False)

    def __init__(self, *args, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings
        if len(buildings) == 1:
            self.fields["building"].widget = forms.HiddenInput()
        self.fields["building"].initial = buildings[0].pk if buildings else None
