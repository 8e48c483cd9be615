from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("派单与督办")

    def ready(self) -> None:
        # Register the tasks in every process (web, tests), not only in workers: the
        # workflow sends them by name, and an unregistered name would bypass eager mode.
        from dispatch import tasks  # noqa: F401
        from dispatch.calendar import calendar_seed_after_migrate

        # A fresh install's working-day calendar comes with `migrate` (dispatch/calendar.py).
        post_migrate.connect(calendar_seed_after_migrate, sender=self, dispatch_uid="dispatch-calendar-seed")
