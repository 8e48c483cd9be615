from django.contrib import admin

from triage.models import DispatchThreshold, ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["kind", "created_at", "trained_on", "trained_until", "top1", "top3", "previous_top1", "is_active"]
    list_filter = ["kind", "is_active"]
    exclude = ["blob"]
    readonly_fields = [
        *("kind", "created_at", "trained_on", "trained_until", "holdout_size", "top1", "top3"),
        *("previous_top1", "train_seconds", "classes", "sha256", "is_active", "note"),
    ]

    def has_add_permission(self, request):
        return False  # versions come from training, never typed in


@admin.register(DispatchThreshold)
class DispatchThresholdAdmin(admin.ModelAdmin):
    list_display = ["category", "threshold"]
    search_fields = ["category__code", "category__name"]
    autocomplete_fields = ["category"]
