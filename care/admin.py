"""The admin edits the visit frequencies only. Residents' records are personal data the
admin's work never needs (care.selectors): they are kept on the care pages, where each
full reading is logged."""

from django.contrib import admin

from care.models import VisitFrequency
from care.services import frequency_set


@admin.register(VisitFrequency)
class VisitFrequencyAdmin(admin.ModelAdmin):
    list_display = ("kind", "interval_days")
    list_editable = ("interval_days",)

    def has_delete_permission(self, request, obj=None):
        return False  # a kind without a row falls back to the default; keep the table whole

    def save_model(self, request, obj, form, change):
        # Through the service: a new interval reschedules the residents of the kind.
        frequency_set(kind=obj.kind, interval=obj.interval_days)
        obj.pk = VisitFrequency.objects.get(kind=obj.kind).pk
