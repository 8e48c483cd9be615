"""Service definitions (GeoReport v2 services/{code}) from the admin-edited
ServiceAttribute rows of a category, and the check of a POST's ``attribute[...]`` values
against them. Errors are keyed by the parameter the client sent (``attribute[code]``,
``attribute[code][]`` for a multivaluelist), as the spec's error bodies name them."""

from __future__ import annotations

import math

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from open311.models import AttributeValue, Datatype, ServiceAttribute
from workorders.errors import InvalidInput
from workorders.models import Category

MAX_LENGTH = {Datatype.STRING: 255, Datatype.TEXT: 4000}


def service_attributes(*, category: Category) -> list[ServiceAttribute]:
    return list(
        ServiceAttribute.objects.filter(category=category)
        .order_by("order", "id")
        .prefetch_related(Prefetch("values", queryset=AttributeValue.objects.order_by("order", "id")))
    )


def present_definition(category: Category) -> dict:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description or str(Datatype(a.datatype).label),
                "order": a.order,
                "description": a.description,
                **({"values": [{"key": v.key, "name": v.name} for v in a.values.all()]} if a.is_list else {}),
            }
            for a in service_attributes(category=category)
        ],
    }


def parse_attribute_params(params) -> dict[str, list[str]]:
    """``attribute[code]`` and ``attribute[code][]`` from a QueryDict: code → values
    (a multivaluelist sends one ``attribute[code][]`` per chosen value)."""
    found: dict[str, list[str]] = {}
    for name in params:
        if not (name.startswith("attribute[") and name.endswith("]")):
            continue
        inner = name[len("attribute[") :]
        code = inner[:-3] if inner.endswith("][]") else inner[:-1]
        found.setdefault(code, []).extend(params.getlist(name))
    return found


def _one(attribute: ServiceAttribute, value: str) -> tuple[object, str | None]:
    """The stored value, or an error message."""
    kind = attribute.datatype
    if kind == Datatype.NUMBER:
        try:
            number = float(value)
        except ValueError:
            return None, _("必须是数字。")
        if not math.isfinite(number):
            return None, _("必须是数字。")
        return (int(number) if number.is_integer() else number), None
    if kind == Datatype.DATETIME:
        try:
            moment = parse_datetime(value.replace(" ", "+"))
        except ValueError:
            moment = None
        if moment is None:
            return None, _("必须是 W3C 日期时间，例如 2026-11-23T08:00:00+08:00。")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.isoformat(timespec="seconds"), None
    if kind in MAX_LENGTH and len(value) > MAX_LENGTH[kind]:
        return None, _("不能超过 %(n)d 个字符。") % {"n": MAX_LENGTH[kind]}
    if attribute.is_list:
        keys = [v.key for v in attribute.values.all()]
        if value not in keys:
            return None, _("「%(v)s」不是可选值（%(keys)s）。") % {"v": value, "keys": "、".join(keys)}
    return value, None


def service_attributes_validate(*, category: Category, given: dict[str, list[str]]) -> dict[str, object]:
    """The values to store for a POST, or InvalidInput naming every bad attribute."""
    attributes = {a.code: a for a in service_attributes(category=category)}
    errors: dict[str, str] = {}
    for code in sorted(set(given) - set(attributes)):
        errors[f"attribute[{code}]"] = _("服务 %(s)s 没有这个属性。") % {"s": category.code}
    clean: dict[str, object] = {}
    for code, attribute in attributes.items():
        multi = attribute.datatype == Datatype.MULTIVALUELIST
        field = f"attribute[{code}][]" if multi else f"attribute[{code}]"
        values = [v.strip() for v in given.get(code, []) if v.strip()]
        if not values:
            if attribute.required:
                errors[field] = _("必填：%(d)s") % {"d": attribute.description}
            continue
        if not multi and len(values) > 1:
            errors[field] = _("只能填一个值。")
            continue
        parsed = [_one(attribute, v) for v in values]
        problems = [message for _value, message in parsed if message]
        if problems:
            errors[field] = problems[0]
            continue
        clean[code] = [value for value, _m in parsed] if multi else parsed[0][0]
    if errors:
        raise InvalidInput(errors)
    return clean
