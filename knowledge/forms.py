"""The editor's form: parses input; the rules are the services' (InvalidInput errors go
back onto the fields)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grids.models import OrgUnit
from knowledge.models import ArticleStatus
from web.forms import CategoryChoiceField, minor_categories


class CategoriesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return CategoryChoiceField.label_from_instance(self, obj)


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    question = forms.CharField(
        label=_("典型问法"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("来电人通常怎么问，用于检索。"),
    )
    body = forms.CharField(
        label=_("答复口径"), widget=forms.Textarea(attrs={"rows": 6}), help_text=_("话务员向来电人宣读的答复内容。")
    )
    keywords = forms.CharField(
        label=_("关键词"), max_length=500, required=False, help_text=_("关键词和常见说法，以空格分隔，检索时加权。")
    )
    categories = CategoriesField(label=_("关联小类"), queryset=minor_categories(), required=False)
    status = forms.ChoiceField(label=_("状态"), choices=ArticleStatus.choices, initial=ArticleStatus.DRAFT)
    valid_from = forms.DateField(label=_("生效日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("失效日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    owner_unit = forms.ModelChoiceField(
        label=_("负责单位"), queryset=OrgUnit.objects.none(), required=False, empty_label="—"
    )
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = minor_categories()
        self.fields["owner_unit"].queryset = OrgUnit.objects.filter(
            is_active=True, kind__in=["center", "department", "street"]
        )
