"""Saved filters: the order list's current filter kept under a name, reused on the list
(the page /campaigns/filters/ and the API's ``?saved=<id>``) and as a campaign's scope.

The filter language is the order list's own (``api.filters.WorkOrderFilter``, built on
django-filter): one definition validates what is saved and applies it, so a saved filter
means exactly what the same query means on the list. (That module is an interface's, but
it is pure filter definitions over WorkOrder and imports nothing above workorders.)"""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import SavedFilter
from workorders.errors import InvalidInput
from workorders.models import WorkOrder

# The list's filters in the page's words (django-filter would label them from the field names).
FILTER_LABELS = {
    "status": gettext_lazy("状态"),
    "channel": gettext_lazy("渠道"),
    "request_type": gettext_lazy("诉求类型"),
    "urgency": gettext_lazy("紧急程度"),
    "category": gettext_lazy("小类编码"),
    "major": gettext_lazy("大类编码"),
    "unit": gettext_lazy("当前单位编号"),
    "lead_unit": gettext_lazy("主办单位编号"),
    "street": gettext_lazy("街道编号"),
    "community": gettext_lazy("社区编号"),
    "grid": gettext_lazy("网格编号"),
    "created_after": gettext_lazy("创建时间起"),
    "created_before": gettext_lazy("创建时间止"),
    "due_after": gettext_lazy("时限起"),
    "due_before": gettext_lazy("时限止"),
    "overdue": gettext_lazy("已超时"),
    "warning": gettext_lazy("黄灯预警"),
    "q": gettext_lazy("关键词"),
}

# Paging and the saved filter itself are how a list is read, not what it holds.
NOT_FILTERS = frozenset({"cursor", "page_size", "saved", "format", "ordering"})


def order_filterset(query: QueryDict, qs: QuerySet[WorkOrder], user: AbstractBaseUser | None):
    """The order list's FilterSet over ``qs`` for ``user`` (its form renders the filters)."""
    from api.filters import WorkOrderFilter

    filterset = WorkOrderFilter(query, queryset=qs, request=SimpleNamespace(user=user))
    form = filterset.form
    form.fields.pop("saved", None)  # a saved filter holds filters, never another saved one
    for name, field in form.fields.items():
        field.label = FILTER_LABELS.get(name, field.label)
        field.help_text = ""  # the API documentation's words, in English
    return filterset


def saved_filter_clean(query: str) -> str:
    """The query string reduced to the list's filters with a value, in a stable order;
    InvalidInput naming the field for an unknown filter or a bad value."""
    from api.filters import WorkOrderFilter

    data = QueryDict(query or "", mutable=True)
    for key in list(data):
        if key in NOT_FILTERS or not any(v.strip() for v in data.getlist(key)):
            del data[key]
    unknown = sorted(set(data) - set(WorkOrderFilter.base_filters))
    if unknown:
        raise InvalidInput({"query": _("未知的筛选条件：%(k)s。") % {"k": "、".join(unknown)}})
    if not data:
        raise InvalidInput({"query": _("当前没有任何筛选条件，无需保存。")})
    form = order_filterset(data, WorkOrder.objects.none(), None).form
    if not form.is_valid():
        raise InvalidInput({k: " ".join(v) for k, v in form.errors.items()})
    # A value the list would silently ignore (overdue=perhaps) is not saved as if it meant something.
    ignored = {
        k: _("「%(v)s」不是有效的取值。") % {"v": data.get(k)} for k in data if form.cleaned_data.get(k) in (None, "")
    }
    if ignored:
        raise InvalidInput(ignored)
    clean = QueryDict(mutable=True)
    for key in sorted(data):
        clean.setlist(key, sorted(v for v in data.getlist(key) if v.strip()))
    return clean.urlencode()


def saved_filter_save(*, owner: AbstractBaseUser, name: str, query: str) -> SavedFilter:
    """Save (or, under a name the owner already used, replace) a filter of the list."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput({"name": _("请为筛选起一个名称。")})
    if len(name) > 60:
        raise InvalidInput({"name": _("名称最多 60 个字。")})
    clean = saved_filter_clean(query)
    try:
        with transaction.atomic():
            saved, _created = SavedFilter.objects.update_or_create(owner=owner, name=name, defaults={"query": clean})
    except IntegrityError:  # the same name saved twice at once: the other one stands
        saved = SavedFilter.objects.get(owner=owner, name=name)
    return saved


def saved_filter_delete(*, saved: SavedFilter) -> None:
    """Delete a saved filter; one that scopes a campaign stays (InvalidInput says which)."""
    used = list(saved.campaigns.values_list("name", flat=True))
    if used:
        raise InvalidInput({"saved": _("该筛选是专项行动「%(c)s」的范围，不能删除。") % {"c": "、".join(used)}})
    saved.delete()


def saved_filters_of(user: AbstractBaseUser) -> QuerySet[SavedFilter]:
    """A user's own saved filters (nobody reads another's)."""
    return SavedFilter.objects.filter(owner=user)


def saved_filter_apply(
    *, saved: SavedFilter, qs: QuerySet[WorkOrder], user: AbstractBaseUser | None = None
) -> QuerySet[WorkOrder]:
    """``qs`` narrowed by the saved filter, as the list would narrow it for ``user`` (a
    text search matches only what that user may read; None: the redacted text only)."""
    return order_filterset(QueryDict(saved.query), qs, user).qs
