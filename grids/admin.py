from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.aliases import alias_suggestion_approve, alias_suggestion_reject
from grids.models import (
    AddressAlias,
    AliasSuggestion,
    Membership,
    OrgUnit,
    RoadSegment,
    ServiceArea,
    StaffPhone,
    SuggestionState,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "contact_phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["user", "unit"]


@admin.register(AddressAlias)
class AddressAliasAdmin(admin.ModelAdmin):
    list_display = ["alias", "community", "grid"]
    search_fields = ["alias", "community__name"]
    autocomplete_fields = ["community", "grid"]


@admin.register(StaffPhone)
class StaffPhoneAdmin(admin.ModelAdmin):
    list_display = ["user", "mobile"]
    search_fields = ["user__username", "mobile"]
    autocomplete_fields = ["user"]


@admin.register(RoadSegment)
class RoadSegmentAdmin(admin.ModelAdmin):
    list_display = ["road", "start", "end", "parity", "community", "grid"]
    list_filter = ["parity", "community__parent"]
    search_fields = ["road", "community__name"]
    autocomplete_fields = ["community", "grid"]


@admin.register(AliasSuggestion)
class AliasSuggestionAdmin(admin.ModelAdmin):
    list_display = ["alias", "community", "grid", "times", "resolved_community", "address", "state", "created_at"]
    list_filter = ["state", "community__parent"]
    search_fields = ["alias", "address", "community__name"]
    autocomplete_fields = ["community", "grid"]
    readonly_fields = [
        "address",
        "resolved_community",
        "resolved_confidence",
        "times",
        "suggested_by",
        "decided_by",
        "decided_at",
        "state",
    ]
    actions = ["approve", "reject"]

    @admin.action(description=gettext_lazy("采纳为地址别名"))
    def approve(self, request, queryset):
        done = 0
        for suggestion in queryset.filter(state=SuggestionState.PENDING):
            alias_suggestion_approve(suggestion=suggestion, actor=request.user)
            done += 1
        self.message_user(request, _("已采纳 %(n)d 条建议。") % {"n": done}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("驳回"))
    def reject(self, request, queryset):
        done = 0
        for suggestion in queryset.filter(state=SuggestionState.PENDING):
            alias_suggestion_reject(suggestion=suggestion, actor=request.user)
            done += 1
        self.message_user(request, _("已驳回 %(n)d 条建议。") % {"n": done}, messages.SUCCESS)


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "service", "community", "grid", "is_active"]
    list_filter = ["service", "is_active", "community__parent"]
    search_fields = ["name", "unit__name", "community__name"]
    autocomplete_fields = ["unit", "community", "grid"]
