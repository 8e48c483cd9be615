from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("派单与督办")

    def ready(self) -> None:
        # Register the tasks in every process (web, tests), not only in workers: the
        # workflow sends them by name, and an unregistered name would bypass eager mode.
        from dispatch import tasks  # noqa: F401
