from django.apps import AppConfig


class ScreensConfig(AppConfig):
    name = "screens"
    verbose_name = "Community screens (一屏管全屏)"
    default_auto_field = "django.db.models.BigAutoField"
