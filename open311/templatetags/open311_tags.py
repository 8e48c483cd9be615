"""The Open311 block of the order page: the service definition's answers a neighbouring
system sent with the request, labelled as the admin defined them."""

from __future__ import annotations

from django import template

from open311.models import Datatype, ServiceRequest

register = template.Library()


@register.inclusion_tag("open311/_attributes.html", takes_context=True)
def open311_attributes(context, order) -> dict:
    from web.templatetags.web_tags import _revealed, _viewer
    from workorders.privacy import order_text

    submission = ServiceRequest.objects.filter(order=order).first()
    rows = []
    if submission is not None and submission.attributes:
        attributes = (
            {a.code: a for a in order.category.open311_attributes.prefetch_related("values")}
            if (order.category_id)
            else {}
        )
        for code, value in submission.attributes.items():
            attribute = attributes.get(code)
            names = {v.key: v.name for v in attribute.values.all()} if attribute else {}
            values = value if isinstance(value, list) else [value]
            shown = "、".join(names.get(str(v), str(v)) for v in values)
            if attribute is None or attribute.datatype in (Datatype.STRING, Datatype.TEXT):
                # What a resident typed: the same policy as the order's own description.
                shown = order_text(_viewer(context), order, shown, revealed=_revealed(context, order))
            rows.append((attribute.description if attribute else code, shown))
    return {"rows": rows}
