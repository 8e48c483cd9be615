from django.contrib import admin

from workorders.models import CalendarDay, Category, CoHandling, Deadline, Event, ExtensionRequest, WorkOrder


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "routing", "department", "sign_limit", "handle_limit", "is_active"]
    list_filter = ["routing", "is_active", "parent"]
    search_fields = ["code", "name", "keywords"]
    autocomplete_fields = ["parent", "department"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = Event
    fields = ["seq", "kind", "from_status", "to_status", "actor", "actor_unit", "note", "created_at"]
    readonly_fields = fields


class DeadlineInline(ReadOnlyInline):
    model = Deadline
    fields = ["stage", "unit", "limit", "opened_at", "warn_at", "due_at", "state", "closed_at"]
    readonly_fields = fields


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    """Orders are changed only through the workflow; the admin shows them and lets an
    admin correct descriptive fields, never the status or the units."""

    list_display = ["number", "title", "status", "category", "current_unit", "channel", "created_at", "due_at"]
    list_filter = ["status", "channel", "urgency", "request_type"]
    search_fields = ["number", "title", "address"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "number",
        "status",
        "lead_unit",
        "current_unit",
        "version",
        "due_at",
        "created_at",
        "updated_at",
        "closed_at",
        "reply",
        "parent",
        "tracking_code",
    ]
    raw_id_fields = ["category", "street", "community", "grid"]
    inlines = [DeadlineInline, EventInline]

    def has_add_permission(self, request):
        return False  # orders are created through intake (log_call / submit) only


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["order", "seq", "kind", "from_status", "to_status", "actor", "actor_unit", "created_at"]
    list_filter = ["kind"]
    search_fields = ["order__number"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    list_display = ["order", "stage", "unit", "due_at", "state", "warned_at", "breached_at"]
    list_filter = ["stage", "state"]
    search_fields = ["order__number"]
    readonly_fields = [f.name for f in Deadline._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


@admin.register(CoHandling)
class CoHandlingAdmin(admin.ModelAdmin):
    list_display = ["order", "unit", "state", "asked_at", "signed_at", "reported_at"]
    readonly_fields = [f.name for f in CoHandling._meta.fields]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(admin.ModelAdmin):
    list_display = ["order", "unit", "proposed_due", "state", "created_at"]
    readonly_fields = [f.name for f in ExtensionRequest._meta.fields]
