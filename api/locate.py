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


class DuplicateSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()
    score = serializers.FloatField(min_value=0, max_value=1)
    text_score = serializers.FloatField(min_value=0, max_value=1)
    place_score = serializers.FloatField(min_value=0, max_value=1)
    same_caller = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class DuplicatesView(APIView):
    """Orders a new call may already be about (the search the console and the
    submissions queue use), within what the requesting user may see."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsMember]

    @extend_schema(
        operation_id="find_duplicates",
        parameters=[
            OpenApiParameter("text", str, required=True, description="What the caller says."),
            OpenApiParameter("address", str, description="Where, as said."),
            OpenApiParameter("caller_phone", str, description="The caller's number: their open orders first."),
        ],
        responses={200: DuplicateSerializer(many=True)},
    )
    def get(self, request):
        from workorders.privacy import order_text
        from workorders.services import work_order_find_duplicates

        q = request.query_params
        text, address, phone = q.get("text", ""), q.get("address", ""), q.get("caller_phone", "")
        errors = {}
        if not text.strip():
            errors["text"] = [_("请填写诉求内容。")]
        for name, value, limit in (("text", text, 4000), ("address", address, 255), ("caller_phone", phone, 20)):
            if len(value) > limit:
                errors[name] = [_("不能超过 %(limit)d 个字符（现为 %(n)d）。") % {"limit": limit, "n": len(value)}]
        if errors:
            raise ValidationError(errors)
        rows = []
        for m in work_order_find_duplicates(text=text, address=address, caller_phone=phone, user=request.user):
            title = order_text(request.user, m.order, m.order.title, field="title")
            rows.append(
                {
                    "number": m.order.number,
                    "status": m.order.status,
                    "title": title,
                    "created_at": m.order.created_at,
                    "score": m.score,
                    "text_score": m.text_score,
                    "place_score": m.place_score,
                    "same_caller": m.same_caller,
                    "reasons": m.reasons,
                }
            )
        return Response(DuplicateSerializer(rows, many=True).data)
