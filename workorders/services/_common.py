"""Helpers shared by the service modules."""

from __future__ import annotations

import functools

from django.utils.translation import gettext as _

from workorders.models import WorkOrder

OrderRef = WorkOrder | int


def _pk(order: OrderRef) -> int:
    return order.pk if isinstance(order, WorkOrder) else order


@functools.cache
def _values(choices) -> frozenset:
    # ``Choices.values`` rebuilds the (value, lazy label) pairs on every read: three of
    # them on each intake (issue 14). A class's values never change while running.
    return frozenset(choices.values)


def _choice(errors: dict, field: str, value: str, choices) -> None:
    if value not in _values(choices):
        errors[field] = _("「%(value)s」不是有效选项，可选：%(options)s。") % {
            "value": value,
            "options": ", ".join(choices.values),
        }
