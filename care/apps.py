from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = "Proactive care (未诉先办)"
    default_auto_field = "django.db.models.BigAutoField"
