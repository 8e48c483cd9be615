from django import template
from django.urls import reverse
from django.utils.http import urlencode

from governance.models import Indicator

register = template.Library()


@register.filter
def indicator_label(key):
    return Indicator(key).label if key in Indicator.values else key


@register.filter
def get_fig(figures, key):
    return figures.get(key)


@register.simple_tag(takes_context=True)
def score_link(context, part):
    """The click-through list behind one number of the score table."""
    query = {
        "kind": context["kind"],
        "month": context["month"],
        "scheme": context["scheme"].pk,
        "unit": context["r"].unit.pk,
        "ind": context["i"].value,
        "part": part,
    }
    if context.get("area") is not None:
        query["area"] = context["area"].pk
    if context.get("scheme") is None:
        del query["scheme"]
    return reverse("governance:orders") + "?" + urlencode(query)
