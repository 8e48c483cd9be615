"""Strings this app added to shared modules (the channel in workorders.choices, the
dashboard's card, the patrol form's checkbox). Listed here so that ``makemessages`` run
in this app puts them in this app's own catalogue: the shared catalogue (locale/en) is
edited by every branch at once. Never imported."""

from django.utils.translation import gettext_noop

STRINGS = [
    gettext_noop("未诉先办"),
    gettext_noop("走访中发现、未经市民诉求而主动立的工单（含在受理量中）"),
    gettext_noop("未诉先办（主动发现的居民需求）"),
    gettext_noop("重点人群逾期走访 %(n)s 人"),
]
