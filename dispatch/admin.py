from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from dispatch.models import CallbackRetry, DispatchQueueEntry, Notification, RoutingRule, SystemAlert


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "target", "department", "area", "priority", "is_active", "status"]
    list_filter = ["target", "is_active"]
    search_fields = ["category__code", "category__name", "department__name", "area__name"]
    autocomplete_fields = ["category", "department", "area"]

    @admin.display(description=_("可用性"))
    def status(self, obj):
        return obj.problem() or "✓"


@admin.register(DispatchQueueEntry)
class DispatchQueueEntryAdmin(ReadOnlyAdmin):
    list_display = ["order", "state", "reasons", "created_at", "done_at"]
    list_filter = ["state"]
    search_fields = ["order__number"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "channel", "text", "state", "attempts", "sent_at", "last_error"]
    list_filter = ["state", "channel"]
    search_fields = ["text", "dedupe_key", "recipient__username"]


@admin.register(CallbackRetry)
class CallbackRetryAdmin(ReadOnlyAdmin):
    list_display = ["order", "attempt", "due_at", "reminded_at"]


@admin.register(SystemAlert)
class SystemAlertAdmin(admin.ModelAdmin):
    list_display = ["message", "count", "first_seen", "last_seen", "resolved"]
    list_filter = ["resolved"]
    readonly_fields = ["key", "message", "count", "first_seen", "last_seen"]
    actions = ["mark_resolved"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("标记为已处理"))
    def mark_resolved(self, request, queryset):
        queryset.update(resolved=True)
