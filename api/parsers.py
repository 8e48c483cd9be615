"""JSON bodies with a depth limit and no NUL characters.

DRF's JSONParser hands the body to ``json.load``: ~1,100 levels of nesting (2.2 KB) make
the C scanner raise RecursionError, which DRF does not catch (a 500), and a "\\u0000"
in any string reaches the database (PostgreSQL refuses NUL in text: another 500). Here
both are a ParseError, which the API answers as 400 ``parse_error``."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def max_depth() -> int:
    return settings.HOTLINE_JSON_MAX_DEPTH


def check_json_value(value: object, *, limit: int) -> None:
    """Raise ParseError when ``value`` nests deeper than ``limit`` or holds a NUL in a
    string or key. Iterative, so the check itself cannot hit the recursion limit."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ParseError(_("JSON 中不能含有 NUL 字符（\\u0000）。"))
        elif isinstance(item, dict | list):
            if depth > limit:
                raise ParseError(_("JSON 嵌套过深（最多 %(n)d 层）。") % {"n": limit})
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_depth()
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON 嵌套过深（最多 %(n)d 层）。") % {"n": limit}) from None
        check_json_value(data, limit=limit)
        return data
