"""GET /api/v1/care/visits/due: the visits due today and overdue, for the grid worker's
app (the phone page's default list as JSON).

The same rules as the pages (care.selectors): the list holds the residents the user may
see at all; the grid's own staff and the center read them in full (each such reading is
a ResidentAccess ``list`` row), community and street staff and admins get them masked (no
address, no notes), and a unit without grids gets an empty list. Read-only."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsMember
from api.serializers import StrictSerializer
from api.views import AUTHENTICATION
from care import services
from care.models import Access, Kind
from care.selectors import due_state, resident_card, residents_visible_to

LIMIT = 200  # as the page: a grid keeps tens of residents; a street's overdue list is cut here


class DueQuerySerializer(StrictSerializer):
    grid = serializers.IntegerField(
        required=False, min_value=1, help_text="Only this grid's residents (a street's or the center's list)."
    )
    overdue = serializers.BooleanField(required=False, default=False, help_text="Only the overdue visits.")


class DueGridSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    community = serializers.CharField(help_text="The grid's community (its parent unit).")


class DueVisitSerializer(serializers.Serializer):
    resident = serializers.IntegerField(help_text="The resident's id (the page /care/{id}/).")
    grid = DueGridSerializer()
    # Plain strings, not enums: one schema enum name per choice set (drf_spectacular.W001).
    kind = serializers.CharField(help_text="One of: " + ", ".join(Kind.values) + ".")
    kind_display = serializers.CharField()
    name = serializers.CharField(help_text="Masked (王**) unless you are the grid's own staff or the center.")
    phone = serializers.CharField(help_text="Masked (139****2222) likewise; empty if none.")
    address = serializers.CharField(help_text="Empty when masked.")
    notes = serializers.CharField(help_text="Empty when masked.")
    masked = serializers.BooleanField()
    next_due = serializers.DateField()
    state = serializers.CharField(help_text="today or overdue.")
    late_days = serializers.IntegerField(help_text="Days overdue (0 when due today).")
    interval_days = serializers.IntegerField(help_text="The kind's days between visits.")


class DueVisitsSerializer(serializers.Serializer):
    today = serializers.DateField()
    count = serializers.IntegerField(help_text="Visits in `results`.")
    truncated = serializers.BooleanField(help_text=f"More than {LIMIT} visits due: narrow with `grid`.")
    results = DueVisitSerializer(many=True)


class DueVisitsView(APIView):
    """The visits due today and overdue in the grids you may see, the most overdue first."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsMember]

    @extend_schema(
        summary="Key residents' visits due today and overdue (未诉先办)",
        parameters=[DueQuerySerializer],
        responses={200: DueVisitsSerializer},
        tags=["care"],
    )
    def get(self, request):
        query = DueQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        q = query.validated_data
        today = timezone.localdate()
        qs = residents_visible_to(request.user).filter(active=True, next_due__lte=today)
        if q.get("grid"):
            qs = qs.filter(grid_id=q["grid"])
        if q["overdue"]:
            qs = qs.filter(next_due__lt=today)
        page = list(qs.order_by("next_due", "grid__name", "pk")[: LIMIT + 1])
        truncated, page = len(page) > LIMIT, page[:LIMIT]
        full = {r.pk for r in services.resident_read_log(residents=page, actor=request.user, action=Access.LIST)}
        intervals = {kind: services.interval_days(kind) for kind in {r.kind for r in page}}
        results = []
        for r in page:
            card = resident_card(r, full=r.pk in full)
            results.append(
                {
                    "resident": r.pk,
                    "grid": {
                        "id": r.grid_id,
                        "code": r.grid.code,
                        "name": r.grid.name,
                        "community": r.grid.parent.name,
                    },
                    "kind": r.kind,
                    "kind_display": r.get_kind_display(),
                    "name": card["name"],
                    "phone": card["phone"],
                    "address": card["address"],
                    "notes": card["notes"],
                    "masked": card["masked"],
                    "next_due": r.next_due,
                    "state": due_state(r, today),
                    "late_days": max((today - r.next_due).days, 0),
                    "interval_days": intervals[r.kind],
                }
            )
        body = {"today": today, "count": len(results), "truncated": truncated, "results": results}
        return Response(DueVisitsSerializer(body).data)
