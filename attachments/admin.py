from django.contrib import admin

from attachments.models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["order", "content_type", "size", "uploaded_at"]
    raw_id_fields = ["order"]
