"""Settings for benches that render pages (growth_pages.py, memory_rss.py): the API
benches' production-like settings, with static URLs computed without the manifest (the
pages link CSS and JS; nothing serves them, and no collectstatic runs before a bench)."""

from bench.api_settings import *  # noqa: F403

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
