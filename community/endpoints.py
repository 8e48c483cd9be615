"""Machine interfaces of the community app: the monitoring sources' intake.

Views parse and call one service (community.monitor)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import CachedTokenAuthentication
from api.errors import error_body, workflow_error_response
from api.parsers import SafeJSONParser
from api.permissions import IsMember
from api.views import expected_version
from community.emergency import emergency_transfer_create
from community.monitor import MAX_EVENT_ID, monitor_event_report, monitor_source_of
from community.routing import ESCALATION_TARGETS, order_escalate
from community.upstream import (
    MESSAGES_IN,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_check,
    upstream_order_receive,
    upstream_order_urge,
)
from workorders.errors import WorkflowError
from workorders.selectors import work_orders_visible_to
from workorders.text_limits import NOTE_MAX


class IsMonitorSource(BasePermission):
    """Only an active monitoring source's service account may report detections."""

    message = gettext_lazy("只有启用中的感知来源账号可以上报。")  # lazy: read per request, in its language

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

    @extend_schema(
        summary="Report a detection (monitoring source)", request=MonitorEventSerializer, responses=OpenApiTypes.OBJECT
    )
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


# --- the city's 12345 platform ----------------------------------------------------------


class UpstreamMessageSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=sorted(MESSAGES_IN))
    message_id = serializers.CharField(max_length=100)
    upstream_id = serializers.CharField(max_length=64)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    caller_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    caller_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    confidential = serializers.BooleanField(required=False, default=False)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    lat = serializers.FloatField(required=False, allow_null=True, default=None)
    lng = serializers.FloatField(required=False, allow_null=True, default=None)
    category = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    deadline = serializers.DateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class UpstreamWebhookView(APIView):
    """The platform's signed webhook: ``dispatch`` (上级交办) answers 201 with our number
    (200 when that upstream id was received before); ``urge`` answers 200."""

    authentication_classes: list = []  # the HMAC signature is the authentication
    permission_classes = [AllowAny]
    parser_classes = [SafeJSONParser]

    @extend_schema(
        summary="Webhook of the city's 12345 platform (signed)",
        request=UpstreamMessageSerializer,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request):
        if not settings.HOTLINE_UPSTREAM_URL:
            raise Http404
        body = request.body  # the raw bytes, read before DRF parses them
        if not signature_check(
            body=body,
            timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
            signature=request.headers.get(SIGNATURE_HEADER, ""),
        ):
            return Response(
                error_body("bad_signature", _("签名无效或时间戳超出允许范围。")), status=status.HTTP_401_UNAUTHORIZED
            )
        form = UpstreamMessageSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            if data["type"] == "dispatch":
                received = upstream_order_receive(
                    upstream_id=data["upstream_id"],
                    title=data["title"],
                    description=data["description"],
                    caller_phone=data["caller_phone"],
                    caller_name=data["caller_name"],
                    confidential=data["confidential"],
                    address=data["address"],
                    lat=data["lat"],
                    lng=data["lng"],
                    category_code=data["category"],
                    deadline=data["deadline"],
                )
                order, created = received.order, received.created
            else:
                order = upstream_order_urge(
                    upstream_id=data["upstream_id"], message_id=data["message_id"], note=data["note"]
                )
                created = False
        except WorkflowError as exc:
            return workflow_error_response(exc)
        body = {"upstream_id": data["upstream_id"], "number": order.number, "status": order.status}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# --- emergency lines ---------------------------------------------------------------------


class EmergencyTransferSerializer(serializers.Serializer):
    line = serializers.CharField(max_length=8)
    note = serializers.CharField(max_length=NOTE_MAX, allow_blank=True)


class EmergencyTransferView(APIView):
    """转紧急热线 on an order the user may see (anything else is a 404); If-Match is the
    version the user saw (409 when someone changed the order since)."""

    authentication_classes = [SessionAuthentication, CachedTokenAuthentication]
    permission_classes = [IsMember]
    parser_classes = [SafeJSONParser, FormParser]

    @extend_schema(
        summary="Transfer to an emergency line (110/119/120/122)",
        request=EmergencyTransferSerializer,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request, number: str):
        order = get_object_or_404(work_orders_visible_to(request.user), number=number)
        form = EmergencyTransferSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        version = expected_version(request)
        try:
            order = emergency_transfer_create(
                order=order,
                actor=request.user,
                line=form.validated_data["line"],
                note=form.validated_data["note"],
                expected_version=version,
            )
        except WorkflowError as exc:
            return workflow_error_response(exc)
        return Response({"number": order.number, "status": order.status, "line": form.validated_data["line"]})


class EscalateSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=list(ESCALATION_TARGETS))
    note = serializers.CharField(max_length=2000)


class EscalateView(APIView):
    """上报上级 on an order the user may see (anything else is a 404): the handler of the
    unit holding it sends it to the street above or to the center; If-Match as above."""

    authentication_classes = [SessionAuthentication, CachedTokenAuthentication]
    permission_classes = [IsMember]
    parser_classes = [SafeJSONParser, FormParser]

    @extend_schema(
        summary="Escalate to the street above or the center (上报街道/转网格中心)",
        request=EscalateSerializer,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request, number: str):
        order = get_object_or_404(work_orders_visible_to(request.user), number=number)
        form = EscalateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        version = expected_version(request)
        try:
            order = order_escalate(
                order=order,
                actor=request.user,
                to=form.validated_data["to"],
                note=form.validated_data["note"],
                expected_version=version,
            )
        except WorkflowError as exc:
            return workflow_error_response(exc)
        return Response(
            {"number": order.number, "status": order.status, "unit": order.current_unit_id, "version": order.version}
        )
