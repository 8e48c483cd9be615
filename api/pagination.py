"""Keyset (cursor) pagination on (sort field, id): each page is an index range scan,
never an OFFSET or a COUNT(*) over a million rows.

DRF's CursorPagination cannot order by a nullable column (due_at is null on orders with
no open stage), so this one keeps nulls last and carries them in the cursor."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from django.db import connection
from django.db.models import F, OrderBy, QuerySet
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

    @staticmethod
    def order_by_for(ordering: str) -> list:
        """ORDER BY for an ordering name; the id breaks ties so the key is unique.
        Nulls last in both directions: orders with no running clock come at the end."""
        field = ORDERINGS[ordering]
        if ordering.startswith("-"):
            return [F(field).desc(nulls_last=True), F("id").desc()]
        return [F(field).asc(nulls_last=True), F("id").asc()]

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

    def paginate_queryset(self, queryset: QuerySet | list[QuerySet], request, view=None):
        """One page of ``queryset``, or of the union of a list of querysets (branches).

        Each branch is read as at most two index-ordered runs, the rows with the sort
        value (seeking past the cursor) and, for a nullable field, the rows without it;
        only the page's ids are fetched per run and merged here, then the page's rows
        are loaded in one query. So a page costs a few short index range scans whatever
        the table size, as long as each branch matches an index prefix."""
        ordering = self._ordering(request, view)
        field, desc = ORDERINGS[ordering], ordering.startswith("-")
        size = self._page_size(request)
        raw = request.query_params.get(self.cursor_param)
        cursor = self._decode(raw) if raw else None
        branches = queryset if isinstance(queryset, list) else [queryset]
        runs = [run for branch in branches for run in self._runs(branch, field, desc, cursor)]
        keys = self._fetch_keys(runs, field, size + 1)
        keys.sort(key=lambda k: self._sort_key(k, desc))
        keys = keys[: size + 1]
        self.request, self.field = request, field
        self.has_next = len(keys) > size
        keys = keys[:size]
        model = branches[0].model
        # The page's rows are loaded through the view's rows_queryset (its joins) if it
        # has one, else through the one queryset itself.
        base = getattr(view, "rows_queryset", None)
        if base is None:
            base = branches[0] if len(branches) == 1 else model.objects.all()
        by_id = {o.pk: o for o in base.filter(pk__in=[k[0] for k in keys]).order_by()}
        # An order can stop matching between the two queries (signed while a status-
        # filtered list is read): it is left out of this page, as it would be of a list
        # read a moment later. The cursor still follows the keys, so nothing is skipped.
        rows = [by_id[k[0]] for k in keys if k[0] in by_id]
        self.next_cursor = self._encode(keys[-1][1], keys[-1][0]) if self.has_next else None
        return rows

    @staticmethod
    def _runs(qs: QuerySet, field: str, desc: bool, cursor) -> list[QuerySet]:
        value, pk = cursor if cursor else (None, None)
        in_nulls = cursor is not None and value is None
        runs = []
        nullable = qs.model._meta.get_field(field).null
        if not in_nulls:
            run = qs.filter(**{f"{field}__isnull": False}) if nullable else qs
            if cursor is not None:
                # field >= value (an index seek), minus the rows of that value already shown.
                run = run.filter(**{f"{field}__{'lte' if desc else 'gte'}": value}).exclude(
                    **{field: value, f"id__{'gte' if desc else 'lte'}": pk}
                )
            ordering: list[F | OrderBy] = [F(field).desc(), F("id").desc()] if desc else [F(field), F("id")]
            runs.append(run.order_by(*ordering))
        if nullable:
            run = qs.filter(**{f"{field}__isnull": True})
            if in_nulls:
                run = run.filter(**{f"id__{'lt' if desc else 'gt'}": pk})
            # Ordered by the sort field too (all null here): otherwise the planner walks
            # the primary key for "ORDER BY id LIMIT n" and filters a million rows when
            # the branch has no such rows; this way it stays in the (…, field) index.
            runs.append(run.order_by(F(field).asc(nulls_last=True), F("id").desc() if desc else F("id")))
        return runs

    @staticmethod
    def _fetch_keys(runs: list[QuerySet], field: str, limit: int) -> list[tuple]:
        parts = [run.values_list("id", field)[:limit] for run in runs]
        if len(parts) > 1 and connection.features.supports_slicing_ordering_in_compound:
            return list(parts[0].union(*parts[1:], all=True))  # one round trip
        return [key for part in parts for key in part]

    @staticmethod
    def _sort_key(key: tuple, desc: bool) -> tuple:
        pk, value = key
        if value is None:
            return (1, 0.0, -pk if desc else pk)
        stamp = value.timestamp()
        return (0, -stamp, -pk) if desc else (0, stamp, pk)

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
