from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from open311.models import ApiKey, AttributeValue, PublishedPhoto, ServiceAttribute, ServiceRequest
from open311.services import open311_photo_publish


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


class PublishedPhotoForm(forms.ModelForm):
    class Meta:
        model = PublishedPhoto
        fields = ["attachment"]

    def clean_attachment(self):
        attachment = self.cleaned_data["attachment"]
        if attachment.order.caller_confidential:
            raise forms.ValidationError(_("保密来电的照片不能公开。"))
        if not attachment.is_ready:
            raise forms.ValidationError(_("照片处理完成后才能公开。"))
        return attachment


@admin.register(PublishedPhoto)
class PublishedPhotoAdmin(admin.ModelAdmin):
    """Approving a photo for Open311 (add a row): look at the photo first — it goes to anyone."""

    form = PublishedPhotoForm
    list_display = ["attachment", "approved_by", "approved_at"]
    raw_id_fields = ["attachment"]

    def save_model(self, request, obj, form, change):
        photo = open311_photo_publish(attachment=obj.attachment, actor=request.user)
        obj.pk, obj.approved_by, obj.approved_at = photo.pk, photo.approved_by, photo.approved_at
