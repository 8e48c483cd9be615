"""A <select> that renders its options in Python. Django's Select renders one template
per <option>; the desk's unit picker and the place and category pickers hold a whole
district's units and categories (hundreds of options), which made them the largest
share of the desk's server time (bench/queue_pages.py). Same markup, same escaping."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: in order, True bare, False left out."""
    return mark_safe(
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
            for name, value in attrs.items()
            if value is not False
        )
    )


def _option(option: dict) -> str:
    return format_html('<option value="{}"{}>{}</option>', option["value"], _attrs(option["attrs"]), option["label"])


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group_name, options, _index in widget["optgroups"]:
            inner = mark_safe("".join(_option(o) for o in options))  # each option escaped by format_html
            parts.append(format_html('<optgroup label="{}">{}</optgroup>', group_name, inner) if group_name else inner)
        return format_html(
            '<select name="{}"{}>{}</select>', widget["name"], _attrs(widget["attrs"]), mark_safe("".join(parts))
        )
