"""The saved filters over the API: list one's own, save the list's current query.

Views parse and call one service (campaigns.filters)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import CachedTokenAuthentication
from api.errors import workflow_error_response
from api.parsers import SafeJSONParser
from api.permissions import IsMember
from campaigns.filters import saved_filter_save, saved_filters_of
from workorders.errors import WorkflowError


class SavedFilterSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=60)
    query = serializers.CharField(
        max_length=2000, help_text="The order list's query string, e.g. status=assigned&urgency=urgent."
    )


class SavedFilterListView(APIView):
    """One's own saved filters; POST saves one (the same name replaces it). Apply one on
    the order list with ``GET /api/v1/orders?saved=<id>``."""

    authentication_classes = [SessionAuthentication, CachedTokenAuthentication]
    permission_classes = [IsMember]
    parser_classes = [SafeJSONParser]

    @extend_schema(summary="Your saved order-list filters", responses=SavedFilterSerializer(many=True))
    def get(self, request):
        return Response(SavedFilterSerializer(saved_filters_of(request.user), many=True).data)

    @extend_schema(
        summary="Save an order-list filter under a name",
        request=SavedFilterSerializer,
        responses={201: SavedFilterSerializer},
    )
    def post(self, request):
        form = SavedFilterSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            saved = saved_filter_save(owner=request.user, **form.validated_data)
        except WorkflowError as exc:
            return workflow_error_response(exc)
        return Response(SavedFilterSerializer(saved).data, status=status.HTTP_201_CREATED)
