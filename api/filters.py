from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from workorders.choices import TERMINAL_STATUSES, Channel, DeadlineState, RequestType, Status, Urgency
from workorders.models import Deadline, WorkOrder


class WorkOrderFilter(django_filters.FilterSet):
    # distinct=False: django-filter's default DISTINCT (for joins) would sort the whole
    # match set before the page could be cut; these filters join nothing.
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False)
    request_type = django_filters.MultipleChoiceFilter(choices=RequestType.choices, distinct=False)
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    category = django_filters.CharFilter(field_name="category__code", help_text="Minor category code.")
    major = django_filters.CharFilter(field_name="category__parent__code", help_text="Major category code.")
    unit = django_filters.NumberFilter(field_name="current_unit_id", help_text="Unit the order sits with now.")
    lead_unit = django_filters.NumberFilter(field_name="lead_unit_id")
    street = django_filters.NumberFilter(field_name="street_id")
    community = django_filters.NumberFilter(field_name="community_id")
    grid = django_filters.NumberFilter(field_name="grid_id")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    overdue = django_filters.BooleanFilter(method="filter_overdue", help_text="An open stage is past its due time.")
    warning = django_filters.BooleanFilter(
        method="filter_warning", help_text="An open stage is past its warning time but not yet due (黄灯)."
    )
    q = django_filters.CharFilter(method="filter_text", help_text="Number, title, description or address.")

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
        return qs.filter(
            Q(number=value) | Q(title__icontains=value) | Q(description__icontains=value) | Q(address__icontains=value)
        )
