"""Screens are added and revoked here. A new screen's token is shown once, in the
success message, as the kiosk URL to put on the display; only its hash is stored."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from screens.models import Notice, Screen
from screens.services import screen_create, screen_revoke


@admin.register(Screen)
class ScreenAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "last_seen_at", "revoked_at")
    list_filter = ("community",)
    fields = ("community", "name", "last_seen_at", "revoked_at")
    readonly_fields = ("last_seen_at", "revoked_at")
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        screen, token = screen_create(community=obj.community, name=obj.name)
        obj.pk, obj.token_hash = screen.pk, screen.token_hash
        url = request.build_absolute_uri(reverse("screens:kiosk", args=[token]))
        messages.warning(request, _("屏幕地址（只显示这一次，请妥善保存）：%(url)s") % {"url": url})

    @admin.action(description=_("停用所选屏幕（令牌作废）"))
    def revoke(self, request, queryset):
        for screen in queryset:
            screen_revoke(screen=screen)


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("title", "priority", "starts_at", "ends_at", "publisher_unit", "withdrawn_at")
    list_filter = ("priority",)
    readonly_fields = ("created_by", "publisher_unit", "created_at", "image_type")
