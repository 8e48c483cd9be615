"""How a time limit is written ("30m", "2h", "7d", "8wh", "1wd"): parsing and the model
field's validator. Apart from workorders.limits (the arithmetic and the working-time
calendar, which reads CalendarDay) so that workorders.models can validate a category's
limits without importing back the module that reads its tables."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

_LIMIT_RE = re.compile(r"^(?P<amount>[1-9]\d{0,3})(?P<unit>m|h|d|wh|wd)$")


@dataclass(frozen=True)
class Limit:
    amount: int
    unit: str

    @property
    def working(self) -> bool:
        return self.unit in {"wh", "wd"}


def parse_limit(text: str) -> Limit:
    match = _LIMIT_RE.match((text or "").strip())
    if not match:
        raise ValueError(
            f"invalid time limit {text!r}: write a number and a unit, "
            "m/h/d for natural minutes/hours/days or wh/wd for working hours/days (e.g. 30m, 1wd)"
        )
    return Limit(int(match["amount"]), match["unit"])


def validate_limit(text: str) -> None:
    if not text:
        return
    try:
        parse_limit(text)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
