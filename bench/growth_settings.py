"""bench/growth_pages.py: the API benches' production-like settings, with static file
URLs computed without the manifest (the pages link CSS and JS; nothing serves them)."""

from bench.api_settings import *  # noqa: F403

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
