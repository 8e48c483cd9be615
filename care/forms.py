from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from care.models import Kind, Outcome
from web.forms import CategoryChoiceField, minor_categories
from workorders.choices import Urgency


class VisitForm(forms.Form):
    outcome = forms.ChoiceField(label=_("走访结果"), choices=Outcome.choices, widget=forms.RadioSelect)
    notes = forms.CharField(
        label=_("走访情况"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


class OrderForm(forms.Form):
    description = forms.CharField(
        label=_("需要办理的事项"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    category = CategoryChoiceField(label=_("分类"), queryset=minor_categories(), required=False)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    photo = forms.FileField(
        label=_("现场照片（可选）"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class ResidentForm(forms.Form):
    grid = forms.ChoiceField(label=_("网格"))
    kind = forms.ChoiceField(label=_("人群类别"), choices=Kind.choices)
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=_("住址"), max_length=200, required=False)
    notes = forms.CharField(label=_("备注"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = [(g.pk, f"{g.parent.name} {g.name}") for g in grids]


class CorrectForm(forms.Form):
    """更正档案: the record's fields but the grid (a resident who moves to another grid is
    taken off this grid's roll and registered in the other)."""

    kind = forms.ChoiceField(label=_("人群类别"), choices=Kind.choices)
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=_("住址"), max_length=200, required=False)
    notes = forms.CharField(label=_("备注"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), required=False)
