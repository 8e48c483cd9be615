"""Indexes the dashboard's aggregate queries need on tables other apps own.

Kept here (raw SQL, IF NOT EXISTS) so that the owners' migration numbering is untouched;
each index names the queries it serves (see dashboards/selectors.py):

- deadline (stage, due_at) INCLUDE-like trailing columns: response and on-time rates
  read the sign/handle deadlines due in a period and count them by state and unit; with
  state and unit in the index PostgreSQL answers from the index alone.
- open deadlines by due_at: the overdue figure ("open and past due"). The scanner's own
  partial index requires breached_at IS NULL, which is no longer true once it has
  marked the breach, so it cannot serve this.
- work orders by replied_at: handling time and the "replied" trend.
- work orders by created_at with the grouping columns: volume, category, grid, hotspot
  and ranking counts over a period become index-only scans.
"""

from django.db import migrations

INDEXES = [
    (
        "dash_deadline_stage_due",
        "CREATE INDEX IF NOT EXISTS dash_deadline_stage_due ON workorders_deadline (stage, due_at, state, unit_id)",
    ),
    (
        "dash_deadline_open_due",
        "CREATE INDEX IF NOT EXISTS dash_deadline_open_due ON workorders_deadline (due_at, unit_id) "
        "WHERE state = 'open'",
    ),
    (
        "dash_workorder_replied",
        "CREATE INDEX IF NOT EXISTS dash_workorder_replied ON workorders_workorder (replied_at, lead_unit_id, "
        "street_id) WHERE replied_at IS NOT NULL",
    ),
    (
        "dash_workorder_created_groups",
        "CREATE INDEX IF NOT EXISTS dash_workorder_created_groups ON workorders_workorder "
        "(created_at, lead_unit_id, street_id, grid_id, category_id)",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("workorders", "0001_initial")]

    operations = [
        migrations.RunSQL(sql=create, reverse_sql=f"DROP INDEX IF EXISTS {name}") for name, create in INDEXES
    ]
