"""The event log's kinds widened by the community app's two (community_dispatch,
escalate). SQLite rebuilds the table for each constraint change and loses its triggers:
the append-only trigger is put back after, both ways (see 0013)."""

import importlib

from django.conf import settings
from django.db import migrations, models

_KINDS = importlib.import_module("workorders.migrations.0013_event_kind_in_table")


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0005_service_area"),
        ("workorders", "0013_event_kind_in_table"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, _KINDS.restore_append_only),
        migrations.RemoveConstraint(
            model_name="event",
            name="event_kind_in_table",
        ),
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
                            "community_dispatch",
                            "escalate",
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
        migrations.RunPython(_KINDS.restore_append_only, migrations.RunPython.noop),
    ]
