"""GeoReport v2 bodies in XML or JSON from the same Python structures.

XML follows the spec's element names: a list root (``services``, ``service_requests``,
``errors``…) with one child element per item, booleans as ``true``/``false``, empty
elements for nulls, and lists inside an item (attributes, values, formats) as a plural
element holding singular ones."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from django.http import HttpResponse

# The spec's bare media types: validators (SeeClickFix's open311-validator) compare the
# Content-Type verbatim. Both bodies are UTF-8 (the XML declares it; JSON is UTF-8 by RFC 8259).
CONTENT_TYPES = {"xml": "text/xml", "json": "application/json"}
# Plural element → its items' element name, for lists nested inside an item.
SINGULAR = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


def _fill(element: ET.Element, value) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item_tag = SINGULAR.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, item_tag), child)
    else:
        element.text = str(value)


def to_xml(root: str, item: str | None, data) -> bytes:
    """``root`` holding one ``item`` per list entry (or, with item None, a dict's keys)."""
    element = ET.Element(root)
    if item is None:
        _fill(element, data)
    else:
        for entry in data:
            _fill(ET.SubElement(element, item), entry)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")).encode()


def respond(fmt: str, data, *, root: str, item: str | None, status: int = 200) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False).encode()
    else:
        body = to_xml(root, item, data)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """The spec's error body: a list of {code, description}."""
    data = [{"code": status, "description": d} for d in descriptions]
    return respond(fmt, data, root="errors", item="error", status=status)


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return errors(fmt, status, [description])
