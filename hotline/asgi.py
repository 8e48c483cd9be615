import os

from django.core.asgi import get_asgi_application

from hotline.env import exit_on_bad_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
exit_on_bad_settings()
application = get_asgi_application()
