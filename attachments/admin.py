from django.contrib import admin

from attachments.models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["order", "content_type", "size", "state", "rejected_reason", "uploaded_at"]
    list_filter = ["state"]
    raw_id_fields = ["order"]
    # The file itself is not shown: the admin would link the stored path, and a photo
    # still processing is the bytes as sent (EXIF, GPS). Photos are viewed on the order page.
    exclude = ["file"]
    readonly_fields = ["content_type", "size", "state", "rejected_reason", "uploaded_at", "processed_at"]
