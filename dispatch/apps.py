from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("派单与督办")

    def ready(self) -> None:
        # The tasks module is not imported here: the web process loads no Celery. Workers
        # import every tasks module at start, and so does hotline.celery when it is loaded
        # in a process already set up (eager mode: tests, scripts without a worker).
        from dispatch.calendar import calendar_seed_after_migrate

        # A fresh install's working-day calendar comes with `migrate` (dispatch/calendar.py).
        post_migrate.connect(calendar_seed_after_migrate, sender=self, dispatch_uid="dispatch-calendar-seed")
