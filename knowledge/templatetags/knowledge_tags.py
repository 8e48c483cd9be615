from django import template

register = template.Library()


@register.filter
def kb_valid(article, day) -> bool:
    return article.is_valid_on(day)


@register.inclusion_tag("knowledge/_order_offer.html", takes_context=True)
def kb_order_offer(context, order):
    """建议入库 on the order page, for those who may (knowledge.selectors.order_offers_draft)."""
    from knowledge.models import Article
    from knowledge.selectors import order_offers_draft

    request = context.get("request")
    offer = request is not None and order_offers_draft(order=order, user=request.user)
    existing = Article.objects.filter(source_order=order).order_by("pk").first() if offer else None
    return {"offer": offer, "existing": existing, "order": order, "csrf_token": context.get("csrf_token")}
