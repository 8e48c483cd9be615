"""GET /api/v1/locate?address=… — the gazetteer's answer for other systems (a
mini-program, the city platform): street / community / grid with a confidence and
the evidence, or "outside" / "unknown"."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsMember
from api.views import AUTHENTICATION
from grids.gazetteer import OUTSIDE, PLACED, UNKNOWN, address_resolve
from workorders.services.intake import MAX_TEXT


class _UnitRef(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class LocateResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[PLACED, OUTSIDE, UNKNOWN])
    normalized = serializers.CharField()
    street = _UnitRef(allow_null=True)
    community = _UnitRef(allow_null=True)
    grid = _UnitRef(allow_null=True)
    confidence = serializers.FloatField(min_value=0, max_value=1)
    method = serializers.CharField(allow_blank=True)
    evidence = serializers.ListField(child=serializers.CharField())


_MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def _ref(unit) -> dict | None:
    return {"code": unit.code, "name": unit.name} if unit is not None else None


class LocateView(APIView):
    """Resolve a free-text address within the district (staff tokens only)."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsMember]

    @extend_schema(
        operation_id="locate_address",
        parameters=[
            OpenApiParameter("address", str, required=True, description="The address as the resident said it.")
        ],
        responses={200: LocateResultSerializer},
    )
    def get(self, request):
        address = request.query_params.get("address", "")
        if not address.strip():
            raise ValidationError({"address": [_("请填写地址。")]})
        if len(address) > MAX_TEXT["address"]:
            raise ValidationError(
                {
                    "address": [
                        _("不能超过 %(limit)d 个字符（现为 %(n)d）。")
                        % {"limit": MAX_TEXT["address"], "n": len(address)}
                    ]
                }
            )
        found = address_resolve(address)
        body = {
            "status": found.status,
            # Echoed for the caller's own check; a mobile number typed into the address
            # is masked like everywhere else in the API.
            "normalized": _MOBILE_RE.sub(r"\1****\2", found.normalized),
            "street": _ref(found.street),
            "community": _ref(found.community),
            "grid": _ref(found.grid),
            "confidence": found.confidence,
            "method": found.method,
            "evidence": found.evidence,
        }
        return Response(LocateResultSerializer(body).data)
