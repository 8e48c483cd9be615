from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = _("智能分类与派单")
    # No ready() importing triage.tasks: the web loads no Celery (hotline/celery.py
    # registers every task where one can run).
