from django.contrib import admin

from grids.models import AddressAlias, Membership, OrgUnit, StaffPhone


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
