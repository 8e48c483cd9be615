"""Coordinates that must be numbers: DRF's FloatField takes JSON ``true`` as 1.0 (Python's
float(True)), so a latitude of ``true`` was stored as 1°N."""

from __future__ import annotations

import math
import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# A decimal number as a form field carries it (multipart/urlencoded have only strings).
_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")


class CoordinateField(serializers.FloatField):
    default_error_messages = {"invalid": _("必须是数字（十进制度）。")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            self.fail("invalid")
        if isinstance(data, str) and not _NUMBER.match(data):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value
