"""First set-up of a real district from one GeoJSON file (``manage.py setup_district``).

The file is a GeoJSON FeatureCollection; each Feature is one unit::

    {"type": "Feature",
     "geometry": {"type": "Polygon", "coordinates": [...]},   # null for center/departments
     "properties": {"kind": "street", "code": "S01", "name": "滨河街道",
                    "parent": "C", "contact_phone": "010-62400100",
                    "aliases": ["幸福里小区"]}}    # communities and grids: names residents use

``kind`` is center, department, street, community or grid, and ``parent`` the code of
the unit above it (none for the center). An optional top-level ``categories`` list
(a foreign member, allowed by RFC 7946) holds the major categories with their minor
ones, routing and limits (field names as in the admin). deploy/district.example.geojson
is a complete small example.

Idempotent: units and categories are matched by code and updated, so the file can be
re-applied after an edit. All or nothing: any error rolls the whole import back, and
every error names the feature (index and code) and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from grids.models import ALLOWED_PARENT_KIND, AddressAlias, OrgUnit, UnitKind
from workorders.models import Category

# Parents before children, whatever order the file lists them in.
_KIND_ORDER = [UnitKind.CENTER, UnitKind.DEPARTMENT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID]
_CATEGORY_FIELDS = [
    "routing",
    "sign_limit",
    "contact_limit",
    "handle_limit",
    "callback_limit",
    "urgent_sign_limit",
    "urgent_contact_limit",
    "urgent_handle_limit",
    "urgent_callback_limit",
    "closure_standard",
    "keywords",
]


class DistrictFileError(ValueError):
    """The file is not a valid district; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class DistrictImport:
    units_created: int = 0
    units_updated: int = 0
    categories: int = 0
    aliases: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def _features(data: dict) -> list[tuple[int, dict]]:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise DistrictFileError(['the file must be a GeoJSON object with "type": "FeatureCollection"'])
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise DistrictFileError(['"features" must be a non-empty list'])
    out, errors = [], []
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            errors.append(f"feature {i}: no properties")
            continue
        missing = [k for k in ("kind", "code", "name") if not props.get(k)]
        if missing:
            errors.append(f"feature {i}: missing {', '.join(missing)}")
        elif props["kind"] not in UnitKind.values:
            errors.append(f"feature {i} ({props['code']}): kind {props['kind']!r} is not one of {UnitKind.values}")
        else:
            out.append((i, feature))
    codes = [f["properties"]["code"] for _, f in out]
    errors += [f"code {c!r} appears more than once" for c in sorted({c for c in codes if codes.count(c) > 1})]
    centers = [f for _, f in out if f["properties"]["kind"] == UnitKind.CENTER]
    if len(centers) != 1 and not OrgUnit.objects.filter(kind=UnitKind.CENTER).exists():
        errors.append(f"exactly one center is needed, the file has {len(centers)}")
    if errors:
        raise DistrictFileError(errors)
    return sorted(out, key=lambda item: _KIND_ORDER.index(item[1]["properties"]["kind"]))


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


@transaction.atomic
def district_import(*, data: dict) -> DistrictImport:
    """Create or update the units, boundaries, address aliases and categories in ``data``."""
    result = DistrictImport()
    errors: list[str] = []
    units = {u.code: u for u in OrgUnit.objects.all()}
    failed: set[str] = set()  # units with an error: their children say so, not "missing"
    for i, feature in _features(data):
        props = feature["properties"]
        code, kind = props["code"], props["kind"]
        where = f"feature {i} ({code})"
        parent_code = props.get("parent")
        parent = units.get(parent_code) if parent_code else None
        if parent_code in failed:
            failed.add(code)
            errors.append(f"{where}: parent {parent_code!r} has errors (above)")
            continue
        if parent_code and parent is None:
            failed.add(code)
            errors.append(f"{where}: parent {parent_code!r} is not in the file or the database")
            continue
        if ALLOWED_PARENT_KIND[kind] is not None and parent is None:
            failed.add(code)
            errors.append(f"{where}: a {kind} needs a parent ({ALLOWED_PARENT_KIND[kind]})")
            continue
        unit = units.get(code) or OrgUnit(code=code)
        created = unit.pk is None
        unit.name, unit.kind, unit.parent = props["name"], kind, parent
        unit.contact_phone = props.get("contact_phone", unit.contact_phone or "")
        unit.boundary = feature.get("geometry")
        try:
            unit.full_clean(exclude=["path"])
        except ValidationError as exc:
            failed.add(code)
            errors.append(f"{where}: {_messages(exc)}")
            continue
        unit.save()
        units[code] = unit
        result.units_created += created
        result.units_updated += not created
        result.by_kind[kind] = result.by_kind.get(kind, 0) + 1
        for alias in props.get("aliases") or []:
            if kind not in (UnitKind.COMMUNITY, UnitKind.GRID):
                errors.append(f"{where}: aliases belong to communities and grids")
                break
            place = (
                {"community": unit, "grid": None} if kind == UnitKind.COMMUNITY else {"community": parent, "grid": unit}
            )
            AddressAlias.objects.update_or_create(alias=alias, defaults=place)
            result.aliases += 1
    for major in data.get("categories") or []:
        errors += _category(major, None, units, result)
    if errors:
        raise DistrictFileError(errors)
    return result


def _category(item: dict, parent: Category | None, units: dict, result: DistrictImport) -> list[str]:
    if not isinstance(item, dict) or not item.get("code") or not item.get("name"):
        return [f"category {item!r}: needs code and name"]
    where = f"category {item['code']}"
    cat = Category.objects.filter(code=item["code"]).first() or Category(code=item["code"])
    cat.name, cat.parent = item["name"], parent
    for name in _CATEGORY_FIELDS:
        if name in item:
            setattr(cat, name, item[name])
    dept = item.get("department")
    cat.department = units.get(dept) if dept else None
    if dept and cat.department is None:
        return [f"{where}: department {dept!r} is not a unit"]
    try:
        cat.full_clean()
    except ValidationError as exc:
        return [f"{where}: {_messages(exc)}"]
    cat.save()
    result.categories += 1
    errors = []
    for child in item.get("children") or []:
        errors += _category(child, cat, units, result)
    return errors
