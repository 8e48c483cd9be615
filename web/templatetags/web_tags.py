from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from web.lights import LIGHT_LABELS, countdown

register = template.Library()


@register.filter
def light_label(value):
    return LIGHT_LABELS.get(value, "")


@register.simple_tag
def due_countdown(due_at, now=None):
    return countdown(due_at, now)


@register.filter
def duration(value):
    """A timedelta as 「2天3小时」."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    minutes = (rest % 3600) // 60
    if days:
        return _("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    return _("%(h)d小时%(m)d分") % {"h": hours, "m": minutes}


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


NAV = [
    ("web:ops", gettext_lazy("话务台"), {"operator"}),
    ("web:submissions", gettext_lazy("公众诉求"), {"operator"}),
    ("web:callbacks", gettext_lazy("回访"), {"operator"}),
    ("community:revisits", gettext_lazy("回头看"), {"operator", "supervisor"}),  # community app (issue 16)
    ("web:desk", gettext_lazy("派单台"), {"dispatcher"}),
    ("knowledge:list", gettext_lazy("知识库"), {"operator", "dispatcher", "admin"}),
    ("web:patrol", gettext_lazy("巡查上报"), {"grid_worker"}),
    ("web:patrol_mine", gettext_lazy("我的上报"), {"grid_worker"}),
    # 未诉先办 (care app; English in care/locale). Who sees which resident: care.selectors.
    ("care:residents", gettext_lazy("重点人群走访"), {"grid_worker", "handler", "supervisor", "dispatcher"}),
    ("web:workbench", gettext_lazy("工作台"), {"handler", "grid_worker", "dispatcher", "supervisor", "admin"}),
    ("web:dashboard", gettext_lazy("督办看板"), {"supervisor", "admin"}),
    ("web:orders", gettext_lazy("工单台账"), {"supervisor", "admin"}),
    ("proactive:warnings", gettext_lazy("预警与每月一题"), {"supervisor", "admin"}),  # label in proactive/locale
    ("web:posters", gettext_lazy("一号一码"), {"admin", "supervisor", "grid_worker", "handler"}),
    ("governance:index", gettext_lazy("考核"), {"supervisor", "dispatcher", "admin", "handler"}),
    # Campaigns app (its English is in campaigns/locale).
    ("campaigns:list", gettext_lazy("专项行动"), {"handler", "supervisor", "admin"}),
    ("campaigns:filters", gettext_lazy("工单筛选"), {"handler", "supervisor", "dispatcher", "admin"}),
    ("screens:center", gettext_lazy("一屏管全屏"), {"supervisor", "admin"}),  # label in screens/locale
]


@register.simple_tag(takes_context=True)
def nav_links(context):
    from django.urls import reverse

    from grids.selectors import roles_of
    from web.nav_counts import nav_count

    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    roles = roles_of(request.user)
    links = []
    for name, label, needs in NAV:
        if roles & needs:
            url = reverse(name)
            count = nav_count(name, request.user)
            links.append({"url": url, "label": label, "active": request.path == url, "count": count})
    return links


@register.filter
def clip(value, limit: int = 30):
    """``value`` cut to ``limit`` characters with "…", never mid-word: Latin text is cut at
    the last space inside the limit (Chinese has no spaces, so any character is a boundary)."""
    text = " ".join(str(value or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    # Only back up to a space when the cut falls inside a Latin word and the space leaves
    # most of the room used; a long unbroken token is still cut rather than dropped.
    if space > limit // 2 and text[limit - 1 : limit].isascii() and text[limit - 1 : limit].isalnum():
        cut = cut[:space]
    return cut.rstrip(" ,.;:，。；：、") + "…"


@register.filter
def event_label(kind):
    from workorders.transitions import TRANSITIONS

    rule = TRANSITIONS.get(kind)
    return rule.label if rule else kind


# Every piece of an order's free text a page shows goes through one of these two tags,
# which apply workorders.privacy's policy for the viewing user (redacted unless their
# role reads originals; on the order page, also after the audited reveal).
def _viewer(context):
    request = context.get("request")
    return getattr(request, "user", None)


def _revealed(context, order) -> bool:
    shown = context.get("order")
    return bool(context.get("revealed")) and shown is not None and getattr(shown, "pk", None) == order.pk


@register.simple_tag(takes_context=True)
def shown(context, order, field):
    """``order``'s field (title, description, address, reply) as the viewer may read it."""
    from workorders.privacy import order_text

    return order_text(
        _viewer(context), order, getattr(order, field, "") or "", field=field, revealed=_revealed(context, order)
    )


@register.simple_tag(takes_context=True)
def shown_text(context, order, text):
    """Other text about ``order`` (a timeline note, a report, a reason) as the viewer may read it."""
    from workorders.privacy import order_text

    return order_text(_viewer(context), order, text or "", revealed=_revealed(context, order))
