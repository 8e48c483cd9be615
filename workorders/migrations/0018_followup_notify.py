"""PostgreSQL: a follow-up row that becomes pending NOTIFYs the outbox relay with its
task's name (hotline/outbox_relay.py). The trigger runs inside the writing statement, so
the request gains no round trip, and the notification is delivered only if the
transaction commits. SQLite has no NOTIFY: the relay polls there."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION hotline_followup_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hotline_outbox', NEW.task);
    RETURN NULL;
END $$;
CREATE TRIGGER workorders_followup_notify_insert AFTER INSERT ON workorders_followup
    FOR EACH ROW WHEN (NEW.state = 'pending') EXECUTE FUNCTION hotline_followup_notify();
-- Put back to pending (the admin's retry, follow_up_request), or made due sooner; not a
-- failed try's backoff, which moves available_at later.
CREATE TRIGGER workorders_followup_notify_update AFTER UPDATE OF state, available_at ON workorders_followup
    FOR EACH ROW WHEN (NEW.state = 'pending' AND (OLD.state <> 'pending' OR NEW.available_at < OLD.available_at))
    EXECUTE FUNCTION hotline_followup_notify();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS workorders_followup_notify_insert ON workorders_followup;
DROP TRIGGER IF EXISTS workorders_followup_notify_update ON workorders_followup;
DROP FUNCTION IF EXISTS hotline_followup_notify();
"""


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("workorders", "0017_growth_lists_indexes")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
