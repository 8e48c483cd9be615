"""A short way through a serializer's validation for plain, valid JSON (issue 14).

DRF validates a body by copying and binding every declared field for each request, then
running each field's validation chain (empty checks, coercion, validator objects): on the
order intake, 18 fields, that was about a seventh of the request's CPU. For a JSON object
whose values are all of the plain, valid kinds below, ``plan.validate(data)`` returns the
same dict DRF's ``to_internal_value`` would (same keys, order, values and defaults); for
anything else — an unknown or misspelt field, a wrong type, a blank required text, a
value out of range, a code the category cache does not know, form or multipart input — it
returns None and the caller runs DRF's own path, which words every error exactly as
before. So the errors, their format and the accepted input are DRF's; the short way only
ever says "valid, and this is the value". ``api/tests/test_lean.py`` holds it to that on
random bodies.

A plan is built once per serializer class from its declared fields and only for fields it
knows exactly (the classes and options below, DRF's standard validators only, no
``validate_<field>`` method); a serializer with any other field gets no plan.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
)
from rest_framework import fields as f
from rest_framework import relations
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from api.fields import CoordinateField


class _Invalid(Exception):
    """Not for the short way: DRF decides (and words the error, if any)."""


_ABSENT = object()
Check = Callable[[Any], Any]


def _text(field: f.CharField) -> Check:
    limit, blank = field.max_length, field.allow_blank

    def check(value):
        if type(value) is not str:
            raise _Invalid  # DRF also takes numbers (as text) and words type errors
        value = value.strip()
        if not value:
            if blank:
                return ""
            raise _Invalid
        if (limit is not None and len(value) > limit) or "\x00" in value:
            raise _Invalid
        try:
            value.encode("utf-8")  # a lone surrogate cannot be encoded: DRF refuses it
        except UnicodeEncodeError:
            raise _Invalid from None
        return value

    return check


def _choice(field: f.ChoiceField) -> Check:
    values = dict(field.choice_strings_to_values)
    if field.allow_blank:
        values.setdefault("", "")

    def check(value):
        if type(value) is not str or value not in values:
            raise _Invalid
        return values[value]

    return check


def _boolean(field: f.BooleanField) -> Check:
    def check(value):
        if type(value) is not bool:
            raise _Invalid  # "true", 1, "on" … are DRF's to read
        return value

    return check


def _coordinate(field: CoordinateField) -> Check:
    low, high = field.min_value, field.max_value

    def check(value):
        if type(value) is not int and type(value) is not float:
            raise _Invalid  # strings from forms, and DRF's errors for everything else
        try:
            number = float(value)
        except OverflowError:
            raise _Invalid from None
        if not math.isfinite(number) or (low is not None and number < low) or (high is not None and number > high):
            raise _Invalid
        return number

    return check


def _category(field) -> Check:
    from workorders.selectors import category_if_cached

    def check(value):
        if type(value) is not str:
            raise _Invalid
        # What CategoryCodeField answers from the cache; a code the cache lacks (new, or
        # none such) is DRF's to look up, so no query is made twice.
        found = category_if_cached(value)
        if found is None:
            raise _Invalid
        return found

    return check


def _none_only(field) -> Check:
    """Related and file fields: only their absence or null is taken here."""

    def check(value):
        raise _Invalid

    return check


_STANDARD = {
    f.CharField: (MaxLengthValidator, ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator),
    f.ChoiceField: (),
    f.BooleanField: (),
    CoordinateField: (MaxValueValidator, MinValueValidator),
    f.FileField: (),
    relations.PrimaryKeyRelatedField: (),
}


def _check_for(field) -> Check | None:
    from api.serializers import CategoryCodeField  # the serializers module builds plans for its classes

    kind = type(field)
    if kind is CategoryCodeField:
        if field.validators:
            return None
        return _category(field)
    if kind not in _STANDARD or any(type(v) not in _STANDARD[kind] for v in field.validators):
        return None
    if kind is f.CharField:
        if not field.trim_whitespace or field.min_length is not None:
            return None
        return _text(field)
    if kind is f.ChoiceField:
        return _choice(field)
    if kind is f.BooleanField:
        return _boolean(field)
    if kind is CoordinateField:
        return _coordinate(field)
    return _none_only(field)


class Plan:
    def __init__(self, steps: list[tuple[str, Check, bool, bool, Any]]) -> None:
        # (name, check, required, allow_null, default or _ABSENT)
        self.steps = steps
        self.names = frozenset(name for name, *_ in steps)

    def validate(self, data) -> dict | None:
        """DRF's validated dict for ``data``, or None when DRF must look at it."""
        if type(data) is not dict or not self.names.issuperset(data):
            return None
        out = {}
        try:
            for name, check, required, allow_null, default in self.steps:
                value = data.get(name, _ABSENT)
                if value is _ABSENT:
                    if required:
                        return None
                    if default is not _ABSENT:
                        out[name] = default
                elif value is None:
                    if not allow_null:
                        return None
                    out[name] = None
                else:
                    out[name] = check(value)
        except _Invalid:
            return None
        return out


def plan_for(serializer_class) -> Plan | None:
    """The short way for this serializer class, or None if one of its fields is not of
    the kinds above."""
    steps = []
    for name, field in serializer_class._declared_fields.items():
        if field.read_only or field.source not in (None, name) or hasattr(serializer_class, f"validate_{name}"):
            return None
        if field.default is not f.empty and callable(field.default):
            return None  # a default that is computed per request
        check = _check_for(field)
        if check is None:
            return None
        default = _ABSENT if field.default is f.empty else field.default
        steps.append((name, check, field.required, field.allow_null, default))
    return Plan(steps)
