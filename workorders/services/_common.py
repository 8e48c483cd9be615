"""Helpers shared by the service modules."""

from __future__ import annotations

from django.utils.translation import gettext as _

from workorders.models import WorkOrder

OrderRef = WorkOrder | int


def _pk(order: OrderRef) -> int:
    return order.pk if isinstance(order, WorkOrder) else order


def _choice(errors: dict, field: str, value: str, choices) -> None:
    if value not in choices.values:
        errors[field] = _("「%(value)s」不是有效选项，可选：%(options)s。") % {
            "value": value,
            "options": ", ".join(choices.values),
        }
