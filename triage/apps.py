from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = _("智能分类与派单")

    def ready(self) -> None:
        # Registered in every process so beat and eager tests find the task by name.
        from triage import tasks  # noqa: F401
