from django.contrib import admin, messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from workorders.errors import WorkflowError
from workorders.models import CalendarDay, Category, CoHandling, Deadline, Event, ExtensionRequest, WorkOrder
from workorders.privacy import mask_name, mask_phone, redact_order_text


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "routing", "department", "sign_limit", "handle_limit", "is_active"]
    list_filter = ["routing", "is_active", "requires_site_check", "parent"]
    search_fields = ["code", "name", "keywords"]
    autocomplete_fields = ["parent", "department"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _redacted(order: WorkOrder, text: str) -> str:
    # The admin is not an operator's desk: free text shows redacted, like to every role
    # but the operators' (workorders.privacy); the audited reveal shows the originals.
    return redact_order_text(order, text or "")


class EventInline(ReadOnlyInline):
    model = Event
    fields = readonly_fields = (
        "seq",
        "kind",
        "from_status",
        "to_status",
        "actor",
        "actor_unit",
        "note_shown",
        "created_at",
    )

    @admin.display(description=_("说明"))
    def note_shown(self, event: Event) -> str:
        return _redacted(event.order, event.note)


class DeadlineInline(ReadOnlyInline):
    model = Deadline
    fields = readonly_fields = ("stage", "unit", "limit", "opened_at", "warn_at", "due_at", "state", "closed_at")


REVEALED = "admin-revealed:{}"


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    """Orders are read here, never changed: every change to an order (category, place,
    urgency, caller, confidentiality …) goes through the services and pages, which
    write the event, recompute the deadlines and check the actor's right. Caller and
    free text show masked; reading them in full is the audited reveal (reveal_caller)."""

    list_display = ["number", "title_shown", "status", "category", "current_unit", "channel", "created_at", "due_at"]
    list_filter = ["status", "channel", "urgency", "request_type"]
    # By number only: a search by title or address would find the orders that mention a
    # resident the page then shows redacted.
    search_fields = ["number"]
    date_hierarchy = "created_at"
    inlines = [DeadlineInline, EventInline]
    FIELDS = [
        "number",
        "status",
        "channel",
        "request_type",
        "caller_shown",
        "caller_confidential",
        "title_shown",
        "description_shown",
        "address_shown",
        "lat",
        "lng",
        "street",
        "community",
        "grid",
        "category",
        "urgency",
        "lead_unit",
        "current_unit",
        "reply_shown",
        "replied_at",
        "callback_resolution",
        "callback_satisfaction",
        "parent",
        "version",
        "due_at",
        "created_at",
        "updated_at",
        "closed_at",
    ]

    def get_fields(self, request, obj=None):
        if obj is not None and request.session.get(REVEALED.format(obj.pk)):
            return [f.replace("_shown", "_full") for f in self.FIELDS]
        return self.FIELDS

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False  # orders are created through intake (log_call / submit) only

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name="workorders_workorder_reveal",
            ),
            *super().get_urls(),
        ]

    def reveal_view(self, request, pk: int):
        """POST: the caller and the free text in full, recorded as reveal_caller (the
        same audited event as on the order page); refused for a confidential caller."""
        from workorders.services import work_order_reveal_caller

        order = WorkOrder.objects.filter(pk=pk).first()
        if order is None or request.method != "POST" or not self.has_view_permission(request, order):
            raise Http404
        try:
            work_order_reveal_caller(order=order, actor=request.user)
        except WorkflowError as exc:
            messages.error(request, exc.message)
        else:
            request.session[REVEALED.format(order.pk)] = True
        return redirect("admin:workorders_workorder_change", order.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        url = reverse("admin:workorders_workorder_reveal", args=[object_id]) if str(object_id).isdigit() else ""
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "reveal_url": url})

    @admin.display(description=_("来电人"))
    def caller_shown(self, order: WorkOrder) -> str:
        if order.caller_confidential:
            return str(_("（保密）"))
        # The reveal button is in the page's object tools (change_form.html): a POST.
        return f"{mask_name(order.caller_name)} {mask_phone(order.caller_phone)}"

    @admin.display(description=_("来电人"))
    def caller_full(self, order: WorkOrder) -> str:
        return f"{order.caller_name} {order.caller_phone}"

    @admin.display(description=_("标题"))
    def title_shown(self, order: WorkOrder) -> str:
        return _redacted(order, order.title)

    @admin.display(description=_("诉求内容"))
    def description_shown(self, order: WorkOrder) -> str:
        return _redacted(order, order.description)

    @admin.display(description=_("地址"))
    def address_shown(self, order: WorkOrder) -> str:
        return _redacted(order, order.address)

    @admin.display(description=_("办理结果"))
    def reply_shown(self, order: WorkOrder) -> str:
        return _redacted(order, order.reply)

    @admin.display(description=_("标题"))
    def title_full(self, order: WorkOrder) -> str:
        return order.title

    @admin.display(description=_("诉求内容"))
    def description_full(self, order: WorkOrder) -> str:
        return order.description

    @admin.display(description=_("地址"))
    def address_full(self, order: WorkOrder) -> str:
        return order.address

    @admin.display(description=_("办理结果"))
    def reply_full(self, order: WorkOrder) -> str:
        return order.reply


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["order", "seq", "kind", "from_status", "to_status", "actor", "actor_unit", "created_at"]
    list_filter = ["kind"]
    search_fields = ["order__number"]
    # The note redacted; the payload holds ids, codes and times only.
    fields = readonly_fields = (
        "order",
        "seq",
        "kind",
        "from_status",
        "to_status",
        "actor",
        "actor_unit",
        "actor_role",
        "note_shown",
        "payload",
        "created_at",
    )

    @admin.display(description=_("说明"))
    def note_shown(self, event: Event) -> str:
        return _redacted(event.order, event.note)

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
    fields = readonly_fields = (*[f.name for f in CoHandling._meta.fields if f.name != "report"], "report_shown")

    @admin.display(description=_("协办意见"))
    def report_shown(self, row: CoHandling) -> str:
        return _redacted(row.order, row.report)


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(admin.ModelAdmin):
    list_display = ["order", "unit", "proposed_due", "state", "created_at"]
    fields = readonly_fields = (*[f.name for f in ExtensionRequest._meta.fields if f.name != "reason"], "reason_shown")

    @admin.display(description=_("延期理由"))
    def reason_shown(self, row: ExtensionRequest) -> str:
        return _redacted(row.order, row.reason)


from workorders import admin_outbox  # noqa: E402,F401 - registers the outbox admin
