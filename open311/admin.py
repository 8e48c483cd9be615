from django.contrib import admin

from open311.models import ApiKey, AttributeValue, ServiceAttribute, ServiceRequest


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    # Keys are created with `manage.py open311_key NAME` so the raw key is shown once.
    list_display = ["name", "prefix", "user", "is_active", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request) -> bool:
        return False


class AttributeValueInline(admin.TabularInline):
    model = AttributeValue
    extra = 1


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    """Service definitions are edited here: one row per attribute of a category, its
    choices inline (used for single/multi-value lists)."""

    list_display = ["category", "code", "datatype", "required", "order", "description"]
    list_filter = ["datatype", "required"]
    search_fields = ["code", "description", "category__code", "category__name"]
    raw_id_fields = ["category"]
    inlines = [AttributeValueInline]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ["order", "key", "created_at"]
    readonly_fields = ["order", "key", "token", "attributes", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False
