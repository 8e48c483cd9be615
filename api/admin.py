"""API tokens in the admin: made here (the key is shown once, in the confirmation
message) and revoked with an action; the digest is never shown and nothing is editable."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.admin import TokenProxy  # type: ignore[attr-defined]  # DRF's, missing from the stubs

from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke

# DRF's own token admin makes clear-text keys nobody checks any more: not offered.
admin.site.unregister(TokenProxy)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "user__username", "name"]
    raw_id_fields = ["user"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return (
            ["user", "name", "expires_at"]
            if obj is None
            else ["user", "name", "prefix", "created_at", "expires_at", "revoked_at"]
        )

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing about a token changes after it is made, except revocation
        days = max(1, (obj.expires_at - timezone.now()).days) if obj.expires_at else None
        token, key = api_token_create(user=obj.user, name=obj.name, days=days)
        obj.pk = token.pk
        obj.__dict__.update({f.attname: getattr(token, f.attname) for f in token._meta.concrete_fields})
        messages.warning(request, _("新令牌（只显示这一次，请立即保存）：%(k)s") % {"k": key})

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row is the record

    @admin.action(description=gettext_lazy("吊销所选令牌"))
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token)
        messages.success(request, _("已吊销 %(n)d 个令牌。") % {"n": queryset.count()})
