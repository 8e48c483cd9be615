"""The event log stays append-only, with one exception the law requires: once an order
has been anonymised (it carries an ``anonymise`` event, see dispatch/retention.py), the
personal data in its older events' ``note`` and ``payload`` may be redacted (PIPL's
erasure). Every other column — kind, seq, statuses, actor, time — still cannot change,
the anonymise event itself cannot change, and deletes are refused as before."""

from django.db import migrations

_SAME = ("id", "order_id", "seq", "kind", "actor_id", "actor_unit_id", "actor_role", "from_status", "to_status",
         "created_at")

PG_UP = f"""
CREATE OR REPLACE FUNCTION workorders_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND ({", ".join("NEW." + c for c in _SAME)}) IS NOT DISTINCT FROM ({", ".join("OLD." + c for c in _SAME)})
       AND OLD.kind <> 'anonymise'
       AND EXISTS (SELECT 1 FROM workorders_event e WHERE e.order_id = OLD.order_id AND e.kind = 'anonymise')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'workorders_event is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
PG_DOWN = """
CREATE OR REPLACE FUNCTION workorders_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'workorders_event is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
_SQLITE_ALLOWED = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _SAME)
SQLITE_UP = [
    "DROP TRIGGER IF EXISTS workorders_event_no_update;",
    f"""CREATE TRIGGER workorders_event_no_update BEFORE UPDATE ON workorders_event
       WHEN NOT ({_SQLITE_ALLOWED} AND OLD.kind <> 'anonymise' AND EXISTS (
           SELECT 1 FROM workorders_event e WHERE e.order_id = OLD.order_id AND e.kind = 'anonymise'))
       BEGIN SELECT RAISE(ABORT, 'workorders_event is append-only: UPDATE refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS workorders_event_no_update;",
    """CREATE TRIGGER workorders_event_no_update BEFORE UPDATE ON workorders_event
       BEGIN SELECT RAISE(ABORT, 'workorders_event is append-only: UPDATE refused'); END;""",
]


def forwards(apps, schema_editor):
    statements = [PG_UP] if schema_editor.connection.vendor == "postgresql" else SQLITE_UP
    for sql in statements:
        schema_editor.execute(sql, params=None)  # None: the % in the PL/pgSQL is not a placeholder


def backwards(apps, schema_editor):
    statements = [PG_DOWN] if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("workorders", "0006_follow_up_outbox")]
    operations = [migrations.RunPython(forwards, backwards)]
