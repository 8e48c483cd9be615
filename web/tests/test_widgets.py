"""FastSelect renders what Django's Select renders (the pickers' markup, escaping,
selection and groups are unchanged), only without a template per option."""

import re

from django import forms

from web.widgets import FastSelect

CHOICES = [
    ("", "—"),
    ("建议单位", [(7, "★ 甲街道（派单规则）")]),
    ('<甲街道> & "乙"', [(1, "甲街道"), (2, "　甲一社区 <b>")]),
    (3, "城管局"),
]


def _normal(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


def test_fast_select_renders_as_django_select_does():
    for value in (None, "", 2, "7"):
        attrs = {"id": "assign_unit", "required": True, "data-x": 'a"b'}
        slow = forms.Select(choices=CHOICES).render("unit", value, attrs)
        fast = FastSelect(choices=CHOICES).render("unit", value, attrs)
        assert _normal(fast) == _normal(slow), value
    html = FastSelect(choices=CHOICES).render("unit", 2, {})
    assert "&lt;b&gt;" in html and "<b>" not in html  # labels are escaped
    assert '<option value="2" selected>' in html


def test_a_model_choice_field_with_fast_select_keeps_its_choices(district):
    from grids.models import OrgUnit

    field = forms.ModelChoiceField(queryset=OrgUnit.objects.order_by("code"), widget=FastSelect)
    html = field.widget.render("place", district.street_a.pk, {"id": "x"})
    assert f'<option value="{district.street_a.pk}" selected>{district.street_a}</option>' in html
    assert html.count("<option") == OrgUnit.objects.count() + 1
