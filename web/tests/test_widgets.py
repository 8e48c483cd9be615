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


def test_fast_select_draws_its_options_without_a_dict_per_option(monkeypatch):
    """issue 14: optgroups() built and copied an attrs dict per option; the pickers hold
    every unit or category of the district."""

    def refuse(*args, **kwargs):
        raise AssertionError("create_option called")

    html = FastSelect(choices=CHOICES).render("unit", 2, {"id": "x"})  # as Django's, above
    monkeypatch.setattr(forms.Select, "create_option", refuse)
    assert FastSelect(choices=CHOICES).render("unit", 2, {"id": "x"}) == html


def _rendered_templates(render) -> tuple[str, list[str]]:
    from django.test.signals import template_rendered

    names: list[str] = []

    def seen(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(seen)
    try:
        html = str(render())
    finally:
        template_rendered.disconnect(seen)
    return html, names


def test_the_category_picker_builds_no_category_objects(district):
    """The accept, intake, patrol and reclassify forms' category <select>: one values
    query, the same options (label "code major / minor") as from the model objects."""
    from django.db.models.signals import post_init

    from web.forms import AcceptForm, CategoryChoiceField, minor_categories
    from workorders.models import Category

    made = []

    def count(sender, **kwargs):
        made.append(sender)

    form = AcceptForm(initial={"expected_version": 1})
    post_init.connect(count, sender=Category)
    try:
        html = str(form["category"])
    finally:
        post_init.disconnect(count, sender=Category)
    assert made == []

    class FromObjects(CategoryChoiceField):
        iterator = forms.models.ModelChoiceIterator  # Django's: one object per option

    slow = FromObjects(queryset=minor_categories(), empty_label="—").widget
    slow.choices = FromObjects(queryset=minor_categories(), empty_label="—").choices
    assert html == slow.render("category", None, {"required": True, "id": "id_category"})
    minor = Category.objects.filter(parent__isnull=False).select_related("parent").first()
    assert f'<option value="{minor.pk}">{minor.code} {minor.parent.name} / {minor.name}</option>' in html


def test_co_handling_boxes_render_as_djangos_without_a_template_per_box(district, assigned):
    """The order page's 协办 list (web/_field.html prints each box's tag): the same
    markup as Django's CheckboxSelectMultiple, with no option template rendered."""
    from django.template.loader import render_to_string

    from web.forms import CohandlerForm

    def field_html(widget_class):
        form = CohandlerForm(order=assigned, initial={"expected_version": 1}, auto_id="c_%s")
        form.fields["units"].widget = widget_class(choices=form.fields["units"].widget.choices)
        form.fields["units"].widget.choices = form.fields["units"].choices
        return _rendered_templates(lambda: render_to_string("web/_field.html", {"field": form["units"]}))

    fast, fast_templates = field_html(type(CohandlerForm.base_fields["units"].widget))
    slow, slow_templates = field_html(forms.CheckboxSelectMultiple)
    assert fast == slow and fast.count('type="checkbox"') >= 3
    assert "django/forms/widgets/checkbox_option.html" in slow_templates
    assert [t for t in fast_templates if t.startswith("django/forms/widgets/")] == []
