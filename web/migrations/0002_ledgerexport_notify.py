"""PostgreSQL: a ledger export that becomes pending NOTIFYs the outbox relay with its
drain task's name (hotline/outbox_relay.py), on commit only; as workorders 0018."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION hotline_ledgerexport_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hotline_outbox', 'web.ledger_exports_drain');
    RETURN NULL;
END $$;
CREATE TRIGGER web_ledgerexport_notify_insert AFTER INSERT ON web_ledgerexport
    FOR EACH ROW WHEN (NEW.state = 'pending') EXECUTE FUNCTION hotline_ledgerexport_notify();
CREATE TRIGGER web_ledgerexport_notify_update AFTER UPDATE OF state ON web_ledgerexport
    FOR EACH ROW WHEN (NEW.state = 'pending' AND OLD.state <> 'pending') EXECUTE FUNCTION hotline_ledgerexport_notify();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS web_ledgerexport_notify_insert ON web_ledgerexport;
DROP TRIGGER IF EXISTS web_ledgerexport_notify_update ON web_ledgerexport;
DROP FUNCTION IF EXISTS hotline_ledgerexport_notify();
"""


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("web", "0001_ledger_export")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
