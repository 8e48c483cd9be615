"""The community app in the admin: monitoring sources and their keys, what came from
the city's platform and what was reported back, the dead-letter list, and the
emergency-line transfers (records, read-only)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community.models import (
    Building,
    BuildingCaptain,
    ChannelRouting,
    CommunityContact,
    EmergencyTransfer,
    EmergencyTransferIn,
    MonitorEvent,
    MonitorSource,
    Revisit,
    RevisitPolicy,
    UpstreamDeadLetter,
    UpstreamOrder,
    UpstreamReport,
)
from community.monitor import monitor_source_rotate_key
from workorders.models import FollowUp
from workorders.outbox import follow_ups_retry
from workorders.transitions import UPSTREAM as UPSTREAM_REPORT  # not community.tasks: no Celery in the web


class ReadOnly(admin.ModelAdmin):
    """Records written by the services only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MonitorSource)
class MonitorSourceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "default_category", "is_active", "created_at"]
    list_filter = ["is_active"]
    fields = ["code", "name", "default_category", "is_active"]
    actions = ["rotate_key"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def has_add_permission(self, request):
        # A source comes with its service account and key: `manage.py monitor_source add`.
        return False

    @admin.action(description=_("为所选来源换发密钥（旧密钥立即失效）"))
    def rotate_key(self, request, queryset):
        for source in queryset:
            key = monitor_source_rotate_key(source=source)
            messages.warning(
                request, _("%(code)s 的新密钥（只显示这一次）：%(key)s") % {"code": source.code, "key": key}
            )


@admin.register(MonitorEvent)
class MonitorEventAdmin(ReadOnly):
    list_display = ["source", "event_id", "order", "detected_at", "received_at"]
    list_filter = ["source"]
    search_fields = ["event_id", "order__number"]
    list_select_related = ["source", "order"]


@admin.register(UpstreamOrder)
class UpstreamOrderAdmin(ReadOnly):
    list_display = ["upstream_id", "order", "upstream_deadline", "received_at"]
    search_fields = ["upstream_id", "order__number"]
    list_select_related = ["order"]


@admin.register(UpstreamReport)
class UpstreamReportAdmin(ReadOnly):
    list_display = ["upstream", "status", "attempts", "delivered_at"]
    list_filter = ["status"]
    search_fields = ["upstream__upstream_id"]
    list_select_related = ["upstream"]


@admin.register(UpstreamDeadLetter)
class UpstreamDeadLetterAdmin(ReadOnly):
    list_display = ["id", "order", "event_kind", "attempts", "last_error", "created_at"]
    search_fields = ["order__number"]
    list_select_related = ["order", "event"]
    readonly_fields = [f.name for f in FollowUp._meta.fields]
    actions = ["send_again"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(task=UPSTREAM_REPORT, state=FollowUp.State.FAILED)

    @admin.display(description=_("事件"))
    def event_kind(self, obj) -> str:
        return obj.event.kind

    def has_send_again_permission(self, request) -> bool:
        return request.user.has_perm("workorders.change_followup")

    @admin.action(description=_("重新上报所选"), permissions=["send_again"])
    def send_again(self, request, queryset):
        count = follow_ups_retry(ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request, ngettext("%(n)d 条上报已重新排队。", "%(n)d 条上报已重新排队。", count) % {"n": count}
        )


@admin.register(EmergencyTransfer)
class EmergencyTransferAdmin(ReadOnly):
    list_display = ["order", "line", "actor", "actor_unit", "created_at"]
    list_filter = ["line"]
    search_fields = ["order__number"]
    list_select_related = ["order", "actor", "actor_unit"]
    date_hierarchy = "created_at"


@admin.register(EmergencyTransferIn)
class EmergencyTransferInAdmin(ReadOnly):
    """转入: matters the emergency lines handed to 12345, beside the transfers out."""

    list_display = ["order", "line", "reference", "actor", "actor_unit", "created_at"]
    list_filter = ["line"]
    search_fields = ["order__number", "reference"]
    list_select_related = ["order", "actor", "actor_unit"]
    date_hierarchy = "created_at"


@admin.register(RevisitPolicy)
class RevisitPolicyAdmin(admin.ModelAdmin):
    list_display = ["category", "sample_percent", "delay_days", "is_active"]
    list_editable = ["sample_percent", "delay_days", "is_active"]
    list_select_related = ["category"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "category" and field is not None:
            field.queryset = field.queryset.filter(parent__isnull=False)  # minor categories only
        return field


@admin.register(Revisit)
class RevisitAdmin(ReadOnly):
    list_display = ["order", "unit", "closed_at", "due_at", "state", "answered_at", "answered_by"]
    list_filter = ["state"]
    search_fields = ["order__number"]
    list_select_related = ["order", "unit", "answered_by"]


@admin.register(CommunityContact)
class CommunityContactAdmin(admin.ModelAdmin):
    """The 便民联系卡's lines, per community (the card: /community/cards/<code>/a6.pdf)."""

    list_display = ["community", "role", "name", "phone", "position"]
    list_editable = ["position"]
    list_filter = ["role"]
    search_fields = ["community__name", "name"]
    list_select_related = ["community"]


class CaptainInline(admin.TabularInline):
    model = BuildingCaptain
    extra = 0
    fields = ["name", "phone", "is_active", "user", "link"]
    readonly_fields = ["user", "link"]

    @admin.display(description=_("专属链接"))
    def link(self, obj) -> str:
        from django.urls import reverse

        return reverse("community:captain_report", args=[obj.token]) if obj.pk else "—"


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    """Buildings, their 楼长 (each with a secret report link) and the 一楼一码 poster
    (/community/b/<code>/poster.pdf)."""

    list_display = ["code", "name", "community", "address"]
    search_fields = ["code", "name", "address", "community__name"]
    list_select_related = ["community"]
    inlines = [CaptainInline]


@admin.register(BuildingCaptain)
class BuildingCaptainAdmin(admin.ModelAdmin):
    """楼长 and their light accounts: the action gives a captain a login (his phone number)
    and a password shown once; the account has no unit and no staff right."""

    list_display = ["name", "phone", "building", "is_active", "user"]
    list_filter = ["is_active"]
    search_fields = ["name", "phone", "building__name", "building__code"]
    list_select_related = ["building", "user"]
    fields = ["building", "name", "phone", "is_active", "user"]
    readonly_fields = ["user"]
    raw_id_fields = ["building"]
    actions = ["open_account"]

    @admin.action(description=_("为所选楼长开通账号（生成新密码）"))
    def open_account(self, request, queryset):
        from community.captains import captain_account_open
        from workorders.errors import InvalidInput

        for captain in queryset.select_related("building"):
            try:
                user, password = captain_account_open(captain=captain)
            except InvalidInput as exc:
                messages.error(request, f"{captain.name}: {' '.join(map(str, exc.errors.values()))}")
            else:
                messages.warning(
                    request,
                    _("楼长 %(n)s 的账号 %(u)s，初始密码（只显示这一次）：%(p)s")
                    % {"n": captain.name, "u": user.username, "p": password},
                )


@admin.register(ChannelRouting)
class ChannelRoutingAdmin(admin.ModelAdmin):
    """Per channel: through the center's operators (default) or straight to the community
    the submission was made in (community.routing)."""

    list_display = ["channel", "mode"]
    list_editable = ["mode"]
