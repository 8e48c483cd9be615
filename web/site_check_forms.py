"""The 现场核查 form on the order page (issue 16). Position fields are plain inputs the
phone's location fills (web/static/web/site_check.js) or the handler types; the service
checks range and nearness again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from web.forms import VersionedForm
from workorders.text_limits import NOTE_MAX


class SiteCheckForm(VersionedForm):
    photo = forms.FileField(label=_("现场照片"), widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    lat = forms.FloatField(
        label=_("纬度"), min_value=-90, max_value=90, widget=forms.NumberInput(attrs={"step": "any", "data-geo": "lat"})
    )
    lng = forms.FloatField(
        label=_("经度"),
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "data-geo": "lng"}),
    )
    note = forms.CharField(
        label=_("核查情况（可选）"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
