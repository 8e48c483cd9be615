"""The work-order life cycle as typed service functions (``work_order_<verb>``).

Each one validates its input, then calls ``workflow.transition`` (or ``create``), which
owns locking, the status table, permissions, the event and the timers. Pages, the API,
Celery tasks and management commands call these and nothing below them. The functions
live in modules by stage (intake, handling, review) and are all importable from here.
"""

from workorders.services._common import OrderRef
from workorders.services.duplicates import (
    attached_calls_for,
    caller_counts,
    work_order_attach_call,
    work_order_find_duplicates,
    work_order_likely_duplicates,
)
from workorders.services.handling import (
    work_order_add_cohandlers,
    work_order_approve_extension,
    work_order_assign,
    work_order_center_redispatch,
    work_order_cohandler_report,
    work_order_cohandler_sign,
    work_order_contact,
    work_order_deny_extension,
    work_order_reassign,
    work_order_reply,
    work_order_request_extension,
    work_order_return,
    work_order_return_up,
    work_order_sign,
    work_order_sub_dispatch,
    work_order_urge,
)
from workorders.services.intake import (
    DERIVED_TITLE_LENGTH,
    MAX_TEXT,
    PHONE_RE,
    TRACKING_ALPHABET,
    IntakeFields,
    intake_title,
    work_order_accept,
    work_order_answer_now,
    work_order_intake,
    work_order_log_call,
    work_order_merge,
    work_order_reject,
    work_order_self_handle,
    work_order_submit,
)
from workorders.services.reclassify import work_order_reclassify
from workorders.services.review import (
    is_open,
    work_order_approve,
    work_order_callback,
    work_order_reveal_caller,
    work_order_send_back,
)
from workorders.services.site_check import work_order_site_check

__all__ = [
    "work_order_site_check",
    "OrderRef",
    "MAX_TEXT",
    "DERIVED_TITLE_LENGTH",
    "PHONE_RE",
    "TRACKING_ALPHABET",
    "work_order_log_call",
    "work_order_submit",
    "work_order_intake",
    "intake_title",
    "IntakeFields",
    "work_order_accept",
    "work_order_reject",
    "work_order_merge",
    "work_order_answer_now",
    "work_order_self_handle",
    "work_order_assign",
    "work_order_center_redispatch",
    "work_order_sign",
    "work_order_return",
    "work_order_return_up",
    "work_order_reassign",
    "work_order_sub_dispatch",
    "work_order_contact",
    "work_order_request_extension",
    "work_order_approve_extension",
    "work_order_deny_extension",
    "work_order_add_cohandlers",
    "work_order_cohandler_sign",
    "work_order_cohandler_report",
    "work_order_urge",
    "work_order_reply",
    "work_order_approve",
    "work_order_send_back",
    "work_order_callback",
    "work_order_reveal_caller",
    "work_order_reclassify",
    "is_open",
    "work_order_attach_call",
    "work_order_find_duplicates",
    "work_order_likely_duplicates",
    "caller_counts",
    "attached_calls_for",
]
