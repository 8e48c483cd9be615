"""Choice widgets that render their options in Python. Django's Select renders one
template per <option> (and CheckboxSelectMultiple one per box); the desk's unit picker
and the place and category pickers hold a whole district's units and categories
(hundreds of options), which made them the largest share of the desk's server time
(bench/queue_pages.py). Same markup, same escaping."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe

SELECTED = mark_safe(" selected")


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: in order, True bare, False left out."""
    return mark_safe(
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
            for name, value in attrs.items()
            if value is not False
        )
    )


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        # The widget's own part (name, attrs, value as strings) as forms.Widget computes it;
        # the options straight from self.choices, as ChoiceWidget.optgroups() selects them
        # (first match only) but without building a dict and copying attrs per option
        # (issue 14: the pickers were a third of the desk's CPU).
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]
        chosen = widget["value"]
        has_selected = False
        parts = []
        for option_value, option_label in self.choices:
            if option_value is None:
                option_value = ""
            if isinstance(option_label, (list, tuple)):
                group, options = option_value, option_label
            else:
                group, options = None, [(option_value, option_label)]
            inner = []
            for subvalue, sublabel in options:
                selected = (not has_selected or self.allow_multiple_selected) and str(subvalue) in chosen
                has_selected |= selected
                inner.append(
                    format_html('<option value="{}"{}>{}</option>', subvalue, SELECTED if selected else "", sublabel)
                )
            html = mark_safe("".join(inner))  # each option escaped by format_html
            parts.append(format_html('<optgroup label="{}">{}</optgroup>', group, html) if group else html)
        return format_html(
            '<select name="{}"{}>{}</select>', widget["name"], _attrs(widget["attrs"]), mark_safe("".join(parts))
        )


# Named as Django's: templates tell widgets apart by BoundField.widget_type, which is the
# class name ("checkboxselectmultiple" draws a fieldset of boxes in web/_field.html).
class CheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """Tick boxes whose <input>s (what ``{{ choice.tag }}`` prints, web/_field.html) are
    written here rather than by three nested templates per box: the order page's 协办
    list has one per street, community and department."""

    def _render(self, template_name, context, renderer=None):
        option = context.get("widget", {})
        if template_name != self.option_template_name or option.get("wrap_label"):
            return super()._render(template_name, context, renderer)
        # django/forms/widgets/input.html with attrs.html, as the option's tag renders it.
        value = option["value"]
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            option["type"],
            option["name"],
            format_html(' value="{}"', str(value)) if value is not None else "",
            _attrs(option["attrs"]),
        )
