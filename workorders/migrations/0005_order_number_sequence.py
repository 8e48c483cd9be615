"""Order numbers on PostgreSQL come from a sequence (no row lock held to commit)."""

from django.db import migrations, models

SEQUENCE = "workorders_order_number_seq"


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} AS bigint CACHE 1")


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("workorders", "0004_workorder_lead_status_due")]

    operations = [
        migrations.AddField(
            model_name="ordercounter", name="base", field=models.BigIntegerField(blank=True, null=True)
        ),
        migrations.RunPython(create_sequence, drop_sequence),
    ]
