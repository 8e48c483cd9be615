"""Only the transition table's kinds in the event log (workorders/transitions.py). A new
kind is a new rule and a new migration that widens this constraint.

SQLite adds a CHECK by copying the table into a new one, which loses its triggers; the
append-only trigger (0007) is put back on the copy. PostgreSQL adds it in place."""

import importlib

from django.db import migrations, models

_APPEND_ONLY = importlib.import_module("workorders.migrations.0007_event_anonymise_update")


def restore_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in _APPEND_ONLY.SQLITE_UP:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("workorders", "0012_followup_request_id"),
    ]

    operations = [
        # Reversed last: the trigger back on the copy that removing the constraint makes.
        migrations.RunPython(migrations.RunPython.noop, restore_append_only),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "kind__in",
                        [
                            "log_call",
                            "submit",
                            "accept",
                            "reject",
                            "merge",
                            "answer_now",
                            "self_handle",
                            "assign",
                            "sign",
                            "return",
                            "return_up",
                            "reassign",
                            "sub_dispatch",
                            "contact",
                            "request_extension",
                            "approve_extension",
                            "deny_extension",
                            "add_cohandler",
                            "cohandler_sign",
                            "cohandler_report",
                            "reclassify",
                            "urge",
                            "reply",
                            "approve",
                            "send_back",
                            "callback_close",
                            "reopen",
                            "callback_unreachable",
                            "close_unreachable",
                            "deadline_warn",
                            "deadline_urge",
                            "deadline_escalate",
                            "supplement",
                            "caller_chase",
                            "anonymise",
                            "transfer_emergency",
                            "revisit_confirm",
                            "revisit_reopen",
                            "site_check",
                            "reveal_caller",
                            "exclusion_request",
                            "exclusion_approve",
                            "exclusion_deny",
                            "appeal_file",
                            "appeal_uphold",
                            "appeal_dismiss",
                            "center_redispatch",
                        ],
                    )
                ),
                name="event_kind_in_table",
            ),
        ),
        migrations.RunPython(restore_append_only, migrations.RunPython.noop),
    ]
