"""Reading an order's photos: GET /orders/{number}/attachments and …/attachments/{id}.

Scoped exactly like the order: the order is looked up in work_orders_visible_to(user),
so an order outside the user's scope, or an attachment of another order, is a 404.
Whoever may see the order sees its photos (the handling unit needs them on site); a
confidential caller stays hidden because nothing about the uploader is stored with a
photo and files are offered under a server-made name (attachment_download_name)."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsMember
from api.serializers import ErrorSerializer
from api.views import AUTHENTICATION
from attachments.models import EXTENSIONS, Attachment
from attachments.services import attachment_download_name
from workorders.models import WorkOrder
from workorders.selectors import work_orders_visible_to

NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description="No such order, or attachment, within your scope.")}


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="Server-made file name: order number and id.")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    state = serializers.ChoiceField(
        choices=Attachment.State.choices,
        help_text="processing: stored, not yet re-encoded (not downloadable); ready; rejected: could not be decoded.",
    )
    rejected_reason = serializers.CharField(help_text="Why it was rejected (a code); empty otherwise.")
    url = serializers.URLField(
        allow_null=True, help_text="Where to download it (same credentials); null until the photo is ready."
    )


class OrderAttachmentView(APIView):
    """Base: the order, found within the user's scope only."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsMember]

    def scoped_order(self, number: str) -> WorkOrder:
        order = work_orders_visible_to(self.request.user).filter(number=number).first()
        if order is None:
            raise NotFound(_("没有这个工单。"))
        return order


class AttachmentListView(OrderAttachmentView):
    @extend_schema(
        operation_id="orders_attachments_list",
        summary="The order's photos",
        responses={200: AttachmentSerializer(many=True), **NOT_FOUND},
    )
    def get(self, request, number: str):
        order = self.scoped_order(number)
        rows = [
            {
                "id": a.pk,
                "name": attachment_download_name(a, number=order.number),
                "content_type": a.content_type,
                "size": a.size,
                "uploaded_at": a.uploaded_at,
                "state": a.state,
                "rejected_reason": a.rejected_reason,
                "url": request.build_absolute_uri(
                    reverse("api:order-attachment", kwargs={"number": order.number, "attachment_id": a.pk})
                )
                if a.is_ready
                else None,
            }
            for a in Attachment.objects.filter(order=order)
        ]
        return Response(AttachmentSerializer(rows, many=True).data)


class AttachmentFileView(OrderAttachmentView):
    def perform_content_negotiation(self, request, force=False):
        # A client asking for image/* must still get errors, as JSON, rather than a 406.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="orders_attachments_retrieve",
        summary="Download one photo (its stored type; nosniff)",
        responses={
            **{(200, content_type): OpenApiTypes.BINARY for content_type in EXTENSIONS},
            **NOT_FOUND,
        },
    )
    def get(self, request, number: str, attachment_id: int):
        order = self.scoped_order(number)
        attachment = Attachment.objects.filter(order=order, pk=attachment_id).first()
        if attachment is None:
            raise NotFound(_("没有这个附件。"))
        if not attachment.is_ready:
            # The bytes as sent are never served (attachments/processing.py); the list
            # says processing or rejected.
            raise NotFound(_("这张照片还在处理中或已被拒收。"))
        response = FileResponse(
            attachment.file.open("rb"),
            content_type=attachment.content_type,
            filename=attachment_download_name(attachment, number=order.number),
        )
        # The type was decided from the file's bytes on upload; never let a browser guess
        # another one, and never run anything if a file is opened as a page.
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-cache"  # scoped: no shared cache may keep it
        return response
