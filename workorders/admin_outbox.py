"""The follow-up outbox in the admin: what is pending, what failed and why, and a way to
run failed rows again once the cause is fixed. Rows are written only by the workflow."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from workorders.models import FollowUp
from workorders.outbox import follow_ups_retry


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "order", "event_kind", "state", "attempts", "available_at", "created_at", "done_at"]
    list_filter = ["state", "task"]
    search_fields = ["order__number", "request_id"]
    list_select_related = ["order", "event"]
    readonly_fields = [f.name for f in FollowUp._meta.fields]
    actions = ["retry"]
    date_hierarchy = "created_at"

    @admin.display(description=_("事件"))
    def event_kind(self, obj: FollowUp) -> str:
        return obj.event.kind

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request) -> bool:
        # Rows are never edited by hand, but running them again is a change.
        return request.user.has_perm("workorders.change_followup")

    @admin.action(description=_("重新执行所选失败的后续任务"), permissions=["retry"])
    def retry(self, request, queryset):
        count = follow_ups_retry(ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request, ngettext("%(n)d 个后续任务已重新排队。", "%(n)d 个后续任务已重新排队。", count) % {"n": count}
        )
        if not count:
            messages.info(request, _("只有失败的后续任务可以重新执行。"))
