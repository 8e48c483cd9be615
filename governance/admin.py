from django.contrib import admin

from governance.models import ComplaintCategory, Scheme
from governance.services import scheme_save_version


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    """Editing a scheme saves a new version (the old one stays, for the reports that name it)."""

    list_display = ("name", "code", "version", "unit_kind", "period", "is_active", "created_at")
    list_filter = ("unit_kind", "is_active")
    fields = ("code", "name", "unit_kind", "period", "weights", "is_active", "note")

    def save_model(self, request, obj, form, change):
        saved = scheme_save_version(
            code=obj.code,
            name=obj.name,
            unit_kind=obj.unit_kind,
            weights=obj.weights,
            period=obj.period,
            activate=obj.is_active,
            note=obj.note,
            actor=request.user,
        )
        obj.pk, obj.version = saved.pk, saved.version

    def has_delete_permission(self, request, obj=None):
        return False  # reports name their scheme version


@admin.register(ComplaintCategory)
class ComplaintCategoryAdmin(admin.ModelAdmin):
    """Which categories count as complaints about a property company / utility (被投诉率)."""

    list_display = ("category", "service", "note")
    list_filter = ("service",)
    autocomplete_fields = ("category",)
