from django import forms
from django.utils.translation import gettext_lazy as _

from governance.models import AppealTarget, ExclusionReason
from grids.models import OrgUnit, UnitKind


class MultiFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiFileField(forms.FileField):
    widget = MultiFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultiFileField, self).clean(f, initial) for f in files]


class ExclusionForm(forms.Form):
    number = forms.CharField(label=_("工单号"), max_length=20)
    reason = forms.ChoiceField(label=_("剔除类型"), choices=ExclusionReason.choices)
    note = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    files = MultiFileField(label=_("证据（图片）"), required=False)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("决定"), choices=[("yes", _("同意 / 成立")), ("no", _("驳回"))])
    note = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class AppealForm(forms.Form):
    subject = forms.ChoiceField(label=_("申诉事项"), widget=forms.RadioSelect)
    reason = forms.CharField(label=_("申诉理由"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    files = MultiFileField(label=_("附件（图片）"), required=False)

    def __init__(self, *args, subjects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = [(f"{t}:{pk}", text) for t, pk, text in subjects]

    def target_and_id(self) -> tuple[str, int]:
        target, pk = self.cleaned_data["subject"].split(":")
        if target not in AppealTarget.values:
            raise ValueError(target)
        return target, int(pk)


def handling_units():
    return OrgUnit.objects.filter(
        kind__in=[UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.DEPARTMENT, UnitKind.PROPERTY], is_active=True
    ).order_by("path")


class ReturnReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结论"), choices=[("upheld", _("退单成立，改派")), ("overruled", _("退单不成立，退回原单位"))]
    )
    unit = forms.ModelChoiceField(label=_("改派至"), queryset=OrgUnit.objects.none(), required=False)
    reason = forms.CharField(label=_("审核理由"), max_length=1000)
    override = forms.CharField(label=_("职能部门事项下派理由（仅中心特批时填写）"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = handling_units()


class RedispatchForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("改派至"), queryset=OrgUnit.objects.none())
    note = forms.CharField(label=_("说明"), max_length=1000)
    override = forms.CharField(label=_("职能部门事项下派理由（仅中心特批时填写）"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = handling_units()


class ReportForm(forms.Form):
    month = forms.DateField(label=_("月份"), widget=forms.DateInput(attrs={"type": "month"}), input_formats=["%Y-%m"])
    unit = forms.ModelChoiceField(label=_("单位（留空为全区）"), queryset=OrgUnit.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = handling_units()
