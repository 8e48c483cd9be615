from django.apps import AppConfig


class ProactiveConfig(AppConfig):
    name = "proactive"
    verbose_name = "Early warning and topics"
    default_auto_field = "django.db.models.BigAutoField"
