"""Settings for the API benchmarks: production-like (DEBUG off, persistent DB
connections) plus one bare Django JSON view to compare against (bench/api_urls.py)."""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("HOTLINE_HTTPS", "0")  # plain http to a local server: no redirect, no secure cookies

from hotline.settings import *  # noqa: E402,F403

ROOT_URLCONF = "bench.api_urls"
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
