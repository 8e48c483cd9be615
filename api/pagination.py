"""Keyset (cursor) pagination on (sort field, id): each page is an index range scan,
never an OFFSET or a COUNT(*) over a million rows.

DRF's CursorPagination cannot order by a nullable column (due_at is null on orders with
no open stage), so this one keeps nulls last and carries them in the cursor."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from django.db.models import F, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

ORDERINGS = {"created_at": "created_at", "-created_at": "created_at", "due_at": "due_at", "-due_at": "due_at"}


class KeysetPagination(BasePagination):
    page_size = 50
    max_page_size = 200
    default_ordering = "-created_at"
    cursor_param = "cursor"
    ordering_param = "ordering"
    page_size_param = "page_size"

    def _ordering(self, request, view) -> str:
        ordering = request.query_params.get(self.ordering_param) or getattr(
            view, "default_ordering", self.default_ordering
        )
        if ordering not in ORDERINGS:
            raise ValidationError({self.ordering_param: [_("可选：%(o)s。") % {"o": ", ".join(ORDERINGS)}]})
        return ordering

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {self.page_size_param: [_("必须是 1 到 %(m)d 之间的整数。") % {"m": self.max_page_size}]}
            )
        return size

    @staticmethod
    def _decode(raw: str) -> tuple[datetime | None, int]:
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode() + b"==="))
            value = parse_datetime(data[0]) if data[0] is not None else None
            if data[0] is not None and value is None:
                raise ValueError
            return value, int(data[1])
        except (ValueError, TypeError, IndexError, KeyError, json.JSONDecodeError, UnicodeDecodeError):
            raise ValidationError({"cursor": [_("分页游标无效。")]}) from None

    @staticmethod
    def _encode(value: datetime | None, pk: int) -> str:
        raw = json.dumps([value.isoformat() if value else None, pk])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def paginate_queryset(self, queryset: QuerySet, request, view=None):
        ordering = self._ordering(request, view)
        field, desc = ORDERINGS[ordering], ordering.startswith("-")
        size = self._page_size(request)
        col = F(field)
        if desc:
            # Nulls last in both directions: orders with no running clock come at the end.
            queryset = queryset.order_by(col.desc(nulls_last=True), F("id").desc())
        else:
            queryset = queryset.order_by(col.asc(nulls_last=True), F("id").asc())
        raw = request.query_params.get(self.cursor_param)
        if raw:
            value, pk = self._decode(raw)
            after, tie = ("lt", "lt") if desc else ("gt", "gt")
            if value is None:
                queryset = queryset.filter(**{f"{field}__isnull": True, f"id__{tie}": pk})
            else:
                queryset = queryset.filter(
                    Q(**{f"{field}__{after}": value})
                    | Q(**{field: value, f"id__{tie}": pk})
                    | Q(**{f"{field}__isnull": True})
                )
        rows = list(queryset[: size + 1])
        self.request, self.field = request, field
        self.has_next = len(rows) > size
        rows = rows[:size]
        self.next_cursor = self._encode(getattr(rows[-1], field), rows[-1].pk) if self.has_next else None
        return rows

    def get_next_link(self) -> str | None:
        if not self.next_cursor:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_param, self.next_cursor)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": {"type": "string", "format": "uri", "nullable": True}, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_param, "required": False, "in": "query", "schema": {"type": "string"}},
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "schema": {"type": "string", "enum": list(ORDERINGS)},
            },
            {
                "name": self.page_size_param,
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
