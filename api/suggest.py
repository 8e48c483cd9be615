"""GET /api/v1/suggestions: the dispatch model's ranked categories and units for a text,
for other systems (a mini-program, the city platform) that take orders themselves.
Also the body of the reclassify action (POST /api/v1/orders/{number}/reclassify)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import CachedTokenAuthentication
from api.permissions import IsMember
from api.serializers import ErrorSerializer, NoteSerializer, StrictSerializer, _category_field
from grids.models import OrgUnit, UnitKind
from triage.services import triage_suggest
from workorders.choices import Channel


class SuggestionQuerySerializer(StrictSerializer):
    text = serializers.CharField(max_length=4000, help_text="What the caller said (the description).")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, default=Channel.HOTLINE)
    community = serializers.SlugRelatedField(
        slug_field="code",
        queryset=OrgUnit.objects.filter(kind__in=[UnitKind.COMMUNITY, UnitKind.GRID]),
        required=False,
        allow_null=True,
        default=None,
        help_text="Code of the community (or grid) of the place, when known.",
    )
    limit = serializers.IntegerField(min_value=1, max_value=10, required=False, default=3)


class RankedCategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    confidence = serializers.FloatField(help_text="0–1; the suggestions' confidences sum to at most 1.")


class RankedUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    confidence = serializers.FloatField()


class SuggestionsSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=["model", "keywords"], help_text="model: the learned classifier; keywords: cold start."
    )
    categories = RankedCategorySerializer(many=True)
    units = RankedUnitSerializer(many=True)


class SuggestionsView(APIView):
    """Ranked minor categories and handling units, only among active ones."""

    # Token first (401 with a challenge for machines), as in api.views.
    authentication_classes = [CachedTokenAuthentication, SessionAuthentication]
    permission_classes = [IsMember]

    @extend_schema(
        summary="Ranked categories and units for a text, with confidence",
        parameters=[SuggestionQuerySerializer],
        responses={
            200: SuggestionsSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Invalid input; `errors` names the fields."),
        },
    )
    def get(self, request):
        query = SuggestionQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        q = query.validated_data
        place = q["community"]
        community = place.parent if place is not None and place.kind == UnitKind.GRID else place
        found = triage_suggest(
            text=q["text"],
            title=q["title"],
            channel=q["channel"],
            street_id=community.parent_id if community else None,
            community_id=community.pk if community else None,
            limit=q["limit"],
        )
        return Response(
            {
                "method": found.method,
                "categories": [{"code": r.code, "name": r.name, "confidence": r.confidence} for r in found.categories],
                "units": [
                    {"id": r.id, "code": r.code, "name": r.name, "confidence": r.confidence} for r in found.units
                ],
            }
        )


class ReclassifySerializer(NoteSerializer):
    category = _category_field(required=False, default=None)
    place = serializers.SlugRelatedField(
        slug_field="code",
        queryset=OrgUnit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID]),
        required=False,
        allow_null=True,
        default=None,
        help_text="Code of the street, community or grid the order really belongs to.",
    )
