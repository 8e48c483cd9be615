from django.apps import AppConfig


class HotlineConfig(AppConfig):
    """The project package as an app, for its one table (Heartbeat) and commands."""

    name = "hotline"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from hotline import db_health

        db_health.connect()
