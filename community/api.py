"""Machine interfaces of the community app: the monitoring sources' intake.

Views parse and call one service (community.monitor)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import CachedTokenAuthentication
from api.errors import workflow_error_response
from api.parsers import SafeJSONParser
from community.monitor import MAX_EVENT_ID, monitor_event_report, monitor_source_of
from workorders.errors import WorkflowError


class IsMonitorSource(BasePermission):
    """Only an active monitoring source's service account may report detections."""

    message = _("只有启用中的感知来源账号可以上报。")

    def has_permission(self, request, view) -> bool:
        request.monitor_source = monitor_source_of(user=request.user)
        return request.monitor_source is not None


class MonitorEventSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=MAX_EVENT_ID)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    lat = serializers.FloatField(required=False, allow_null=True, default=None)
    lng = serializers.FloatField(required=False, allow_null=True, default=None)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    detected_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    photo = serializers.FileField(required=False, allow_null=True, default=None)


class MonitorEventView(APIView):
    """POST a detection; 201 with the new order, or 200 with the order an earlier report
    of the same event id opened."""

    authentication_classes = [CachedTokenAuthentication]
    permission_classes = [IsMonitorSource]
    parser_classes = [SafeJSONParser, MultiPartParser, FormParser]

    @extend_schema(summary="Report a detection (monitoring source)", request=MonitorEventSerializer)
    def post(self, request):
        form = MonitorEventSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            intake = monitor_event_report(
                source=request.monitor_source,
                event_id=data["event_id"],
                title=data["title"],
                description=data["description"],
                category_code=data["category"],
                lat=data["lat"],
                lng=data["lng"],
                address=data["address"],
                detected_at=data["detected_at"],
                photo=data["photo"],
            )
        except WorkflowError as exc:
            return workflow_error_response(exc)
        order = intake.order
        body = {
            "number": order.number,
            "status": order.status,
            "event_id": data["event_id"],
            "duplicate": not intake.created,
            "photos": order.attachments.count(),
        }
        return Response(body, status=status.HTTP_201_CREATED if intake.created else status.HTTP_200_OK)
