"""Covering indexes for the orders behind a rate (issue 14, item 2; BENCHMARKS.md).

A rate's list (web.order_list._keyed_page) reads the period's counted rows' order ids,
looks each order up by key and sorts them by deadline and receipt: a month is ~72,000
callbacks or ~80,000 stage deadlines at the bench's daily rate. With these, every step
is an index-only scan instead of a visit to each row:

- event_kind_created (kind, created_at) gains INCLUDE (order_id): a period's callbacks'
  (or calls') order ids. Same name and keys, so nothing else changes for its other users.
- dash_deadline_stage_due (stage, due_at, state, unit_id) gains INCLUDE (order_id): a
  period's sign/handle deadlines' order ids, as their counts already read it.
- workorder_key_sort (id) INCLUDE (due_at, created_at): the orders' sort keys by key.

PostgreSQL only (INCLUDE), raw SQL as 0001, so that the model state (and SQLite, which
has no INCLUDE and would warn about it on every command) is untouched.
"""

from django.db import migrations

FORWARD = [
    "DROP INDEX IF EXISTS event_kind_created",
    "CREATE INDEX event_kind_created ON workorders_event (kind, created_at) INCLUDE (order_id)",
    "DROP INDEX IF EXISTS dash_deadline_stage_due",
    "CREATE INDEX dash_deadline_stage_due ON workorders_deadline (stage, due_at, state, unit_id) INCLUDE (order_id)",
    "CREATE INDEX IF NOT EXISTS workorder_key_sort ON workorders_workorder (id) INCLUDE (due_at, created_at)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS workorder_key_sort",
    "DROP INDEX IF EXISTS dash_deadline_stage_due",
    "CREATE INDEX dash_deadline_stage_due ON workorders_deadline (stage, due_at, state, unit_id)",
    "DROP INDEX IF EXISTS event_kind_created",
    "CREATE INDEX event_kind_created ON workorders_event (kind, created_at)",
]


def _run(statements: list[str]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0005_assessment_and_dashboard_rollups"),
        ("workorders", "0018_followup_notify"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
