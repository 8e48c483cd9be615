from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django_filters.fields import IsoDateTimeField

from workorders.choices import TERMINAL_STATUSES, Channel, DeadlineState, RequestType, Status, Urgency
from workorders.models import Deadline, WorkOrder
from workorders.privacy import text_search_q


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, as UTC. PostgreSQL refuses offsets beyond ±15:59 that Python
    accepts (a 500 found by Schemathesis), so the offset is applied here; a time that
    has no UTC equivalent in Python's range is bad input."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number within the id column's range (a bigger one is a database
    error on PostgreSQL, not an empty result)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -(2**63))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class WorkOrderFilter(django_filters.FilterSet):
    # distinct=False: django-filter's default DISTINCT (for joins) would sort the whole
    # match set before the page could be cut; these filters join nothing.
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False)
    request_type = django_filters.MultipleChoiceFilter(choices=RequestType.choices, distinct=False)
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    category = django_filters.CharFilter(field_name="category__code", help_text="Minor category code.")
    major = django_filters.CharFilter(field_name="category__parent__code", help_text="Major category code.")
    unit = IdFilter(field_name="current_unit_id", help_text="Unit the order sits with now.")
    lead_unit = IdFilter(field_name="lead_unit_id")
    street = IdFilter(field_name="street_id")
    community = IdFilter(field_name="community_id")
    grid = IdFilter(field_name="grid_id")
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    due_after = UtcIsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = UtcIsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    overdue = django_filters.BooleanFilter(method="filter_overdue", help_text="An open stage is past its due time.")
    warning = django_filters.BooleanFilter(
        method="filter_warning", help_text="An open stage is past its warning time but not yet due (黄灯)."
    )
    q = django_filters.CharFilter(method="filter_text", help_text="Number, title, description or address.")
    saved = IdFilter(method="filter_saved", help_text="One of your saved filters (campaigns app), by id.")

    class Meta:
        model = WorkOrder
        fields: list[str] = []

    def filter_overdue(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        # due_at on the order is the nearest open deadline, kept by the workflow.
        overdue = Q(due_at__lt=timezone.now()) & ~Q(status__in=TERMINAL_STATUSES)
        return qs.filter(overdue) if value else qs.exclude(overdue)

    def filter_warning(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        now = timezone.now()
        warned = Deadline.objects.filter(
            order=OuterRef("pk"), state=DeadlineState.OPEN, warn_at__lte=now, due_at__gt=now
        )
        return qs.filter(Exists(warned)) if value else qs.exclude(Exists(warned))

    def filter_text(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return qs
        # Only by what the user can read on the order (workorders.privacy): a unit's
        # search for a resident's name or number must not find the orders naming them.
        return qs.filter(text_search_q(getattr(self.request, "user", None), value))

    def filter_saved(self, qs: QuerySet, name: str, value: int) -> QuerySet:
        # Only the user's own; anyone else's id filters to nothing, like an unknown one.
        from campaigns.filters import saved_filter_apply, saved_filters_of

        user = getattr(self.request, "user", None)
        saved = saved_filters_of(user).filter(pk=value).first() if user is not None else None
        return qs.none() if saved is None else saved_filter_apply(saved=saved, qs=qs, user=user)
