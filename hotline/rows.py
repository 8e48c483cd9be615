"""INSERTs compiled once per model, for the rows every intake writes (issue 14).

``Model.save(force_insert=True)`` and ``bulk_create`` build their INSERT anew for every
call: for each of a work order's 34 columns the compiler resolves, prepares, quotes and
places the value, and Django 5.2's bulk insert on PostgreSQL wraps even two rows in an
UNNEST of typed arrays. On the API intake (an order, its event, two follow-up rows)
that was about a third of the service's CPU. ``insert_rows`` keeps the statement text per
(model, row count, options) and per row only asks each field for its database value —
``pre_save`` then ``get_db_prep_save``, what the compiler asks — then sets the primary
key and ``_state`` as ``save()`` does and sends ``pre_save``/``post_save`` (a model with
receivers keeps working; with none, sending costs a dictionary look-up).

What it does not do, so callers must not need it: expressions as values (refused), fields
whose placeholder is not ``%s`` (refused: PostGIS-like fields), multi-table inheritance,
custom ``save()`` logic (callers are the service functions that would call ``save()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.db import connections, router, transaction
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=Model)

_statements: dict[tuple, tuple[str, list]] = {}


def _statement(model: type[Model], alias: str, rows: int, ignore_conflicts: bool, returning: bool):
    key = (model, alias, rows, ignore_conflicts, returning)
    found = _statements.get(key)
    if found is not None:
        return found
    connection = connections[alias]
    opts = model._meta
    if opts.parents:
        raise TypeError(f"{opts.label}: multi-table inheritance is not supported")
    # As the insert compiler: no generated columns, no primary key the database makes.
    fields = [
        f
        for f in opts.local_concrete_fields
        if not f.generated and not (f.primary_key and f.db_returning)  # type: ignore[attr-defined]  # Django 5's, not in the stubs
    ]
    for field in fields:
        if hasattr(field, "get_placeholder"):
            raise TypeError(f"{opts.label}.{field.name} needs a placeholder of its own")
    qn = connection.ops.quote_name
    conflict = OnConflict.IGNORE if ignore_conflicts else None
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"{connection.ops.insert_statement(on_conflict=conflict)} {qn(opts.db_table)} "
        f"({', '.join(qn(f.column) for f in fields)}) VALUES {', '.join([row] * rows)}"
    )
    suffix = connection.ops.on_conflict_suffix_sql(fields, conflict, None, None)
    if suffix:
        sql += " " + suffix
    if returning:
        sql += f" RETURNING {qn(opts.pk.column)}"
    _statements[key] = found = (sql, fields)
    return found


def insert_rows(objs: Sequence[M], *, ignore_conflicts: bool = False) -> list[M]:
    """INSERT new, unsaved instances of one model in one statement and return them.

    Without ``ignore_conflicts`` each gets its primary key (RETURNING) as ``save()``
    would give it; with it (a row that breaks a unique constraint is skipped, as
    ``bulk_create(ignore_conflicts=True)``) none does, and none is marked saved."""
    if not objs:
        return list(objs)
    model = type(objs[0])
    alias = router.db_for_write(model, instance=objs[0])
    connection = connections[alias]
    returning = not ignore_conflicts
    if returning and not connection.features.can_return_columns_from_insert:  # pragma: no cover - both vendors can
        raise NotImplementedError(f"{connection.vendor} cannot return inserted ids")
    sql, fields = _statement(model, alias, len(objs), ignore_conflicts, returning)
    params: list = []
    for obj in objs:
        if type(obj) is not model or not obj._state.adding:
            raise ValueError("insert_rows takes new instances of one model")
        obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]  # Django's, not in the stubs
        if returning:  # as save(); bulk_create (ignore_conflicts) sends no signals
            pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=None)
        for field in fields:
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"{model._meta.label}.{field.name}: expressions are not supported")
            params.append(field.get_db_prep_save(value, connection))
    # As save(): an error marks the enclosing atomic block for rollback.
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()] if returning else []
    if returning:
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = alias
            post_save.send(sender=model, instance=obj, created=True, update_fields=None, raw=False, using=alias)
    return list(objs)


_value_statements: dict[tuple, tuple[str, list]] = {}


def _values_statement(model: type[Model], alias: str, rows: int, ignore_conflicts: bool, returning: bool):
    key = (model, alias, rows, ignore_conflicts, returning)
    found = _value_statements.get(key)
    if found is None:
        sql, fields = _statement(model, alias, rows, ignore_conflicts, returning)
        for field in fields:
            # Only pre_save() knows these values, and rows without instances skip it.
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                raise TypeError(f"{model._meta.label}.{field.name}: auto_now fields need insert_rows")
        _value_statements[key] = found = (sql, fields)
    return found


def insert_values(
    model: type[Model], rows: Sequence[dict], *, ignore_conflicts: bool = False, returning: bool | None = None
) -> list[int]:
    """INSERT rows given as ``{attname: value}``, without model instances, in one
    statement (or one per batch of the database's parameter limit); returns their
    primary keys. With ``ignore_conflicts`` a row that breaks a unique constraint is
    skipped as ``bulk_create(ignore_conflicts=True)`` skips it, and nothing is returned
    unless ``returning``: then the keys of the rows this statement inserted, the skipped
    ones left out (``ON CONFLICT DO NOTHING RETURNING`` / ``INSERT OR IGNORE …
    RETURNING``), in no promised order.

    For rows nobody needs as objects afterwards (an order's first event, its follow-ups):
    each column gets the row's value or the field's default, prepared as ``save()``
    prepares it (``get_db_prep_save``); a name that is not a column is an error. No
    instance means no ``pre_save()`` (fields with ``auto_now`` are refused) and no save
    signals — callers use it for models that have no receivers, and check that
    (``has_save_receivers``), as transition()'s event INSERT always has."""
    if not rows:
        return []
    alias = router.db_for_write(model)
    connection = connections[alias]
    returning = not ignore_conflicts if returning is None else returning
    _, fields = _values_statement(model, alias, 1, ignore_conflicts, returning)
    batch = max(1, (connection.features.max_query_params or 65535) // len(fields))
    if len(rows) > batch:
        return [
            pk
            for start in range(0, len(rows), batch)
            for pk in insert_values(
                model, rows[start : start + batch], ignore_conflicts=ignore_conflicts, returning=returning
            )
        ]
    sql, fields = _values_statement(model, alias, len(rows), ignore_conflicts, returning)
    names = {f.attname for f in fields}
    params: list = []
    for row in rows:
        unknown = set(row) - names
        if unknown:
            raise ValueError(f"{model._meta.label} has no columns {sorted(unknown)}")
        for field in fields:
            value = row[field.attname] if field.attname in row else field.get_default()
            params.append(field.get_db_prep_save(value, connection))
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [r[0] for r in cursor.fetchall()] if returning else []


def has_save_receivers(model: type[Model]) -> bool:
    """Whether anything listens to ``model``'s save signals (then write it with
    insert_rows, which sends them)."""
    return pre_save.has_listeners(model) or post_save.has_listeners(model)
