"""Make the event log append-only in the database itself: an UPDATE or DELETE of an
event row is refused by a trigger, whatever code (raw SQL, bulk update, a shell) tries."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION workorders_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'workorders_event is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workorders_event_no_update BEFORE UPDATE OR DELETE ON workorders_event
    FOR EACH ROW EXECUTE FUNCTION workorders_event_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS workorders_event_no_update ON workorders_event;
DROP FUNCTION IF EXISTS workorders_event_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER workorders_event_no_update BEFORE UPDATE ON workorders_event
       BEGIN SELECT RAISE(ABORT, 'workorders_event is append-only: UPDATE refused'); END;""",
]
# SQLite has no TRUNCATE: Django's flush (between transactional tests) empties tables with
# DELETE, so on SQLite only updates are refused; PostgreSQL flushes with TRUNCATE, which
# row triggers do not see, so there deletes are refused too.
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS workorders_event_no_update;",
]


def forwards(apps, schema_editor):
    statements = [PG_UP] if schema_editor.connection.vendor == "postgresql" else SQLITE_UP
    for sql in statements:
        schema_editor.execute(sql, params=None)  # None: the % in the PL/pgSQL is not a placeholder


def backwards(apps, schema_editor):
    statements = [PG_DOWN] if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN
    for sql in statements:
        schema_editor.execute(sql, params=None)  # None: the % in the PL/pgSQL is not a placeholder


class Migration(migrations.Migration):
    dependencies = [("workorders", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
