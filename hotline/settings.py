"""The one settings module. Everything that differs between machines comes from the
environment, parsed strictly by hotline.env (a bad value stops start-up)."""

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hotline.env import (
    check_broker_url,
    env_bool,
    env_choice,
    env_import,
    env_int,
    env_list,
    env_log_level,
    env_networks,
    env_rate,
    env_str,
    env_time,
    env_timezone,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HOTLINE_VAR_DIR") or BASE_DIR / "var")

# Off unless asked for: a deployment that forgets the variable must not serve
# tracebacks and settings to the public. `make run`, `make test` (conftest.py) and the
# benchmarks set DEBUG=1 themselves, so the embedded development defaults still work.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (DEBUG=1 for development).")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "hotline",
    "rest_framework",
    "django_filters",
    "grids",
    "workorders",
    "triage",
    "dispatch",
    "attachments",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "open311",
    "dashboards",
    "knowledge",
    "governance",
    "community",  # issue 16: machine sources, upstream platform, emergency transfers
    "proactive",  # 每月一题 / early warning
    "screens",  # 一屏管全屏: notices to community screens
    "web",
    # After web: on a msgid both catalogues hold, web's (earlier) translation wins.
    "campaigns",
    "care",  # 未诉先办: key residents' visits and proactive orders (after web, like campaigns)
]

MIDDLEWARE = [
    "hotline.logging.RequestIdMiddleware",
    "hotline.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from gunicorn itself with DEBUG=0 (see STORAGES below).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # django-csp's, with the policy text built once per process (hotline/csp.py).
    "hotline.csp.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hotline.urls"
WSGI_APPLICATION = "hotline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": parse_database_url(
        "DATABASE_URL", env_str("DATABASE_URL") or f"sqlite:///{(VAR_DIR / 'hotline.sqlite3').as_posix()}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Read replica (hotline/db_router.py) ----------------------------------------------
# A PostgreSQL streaming replica for dashboards, ledgers and exports; everything that
# writes or must read its own writes stays on the primary. The lag guard sends those
# reads back to the primary when the replica is more than MAX_LAG seconds behind or
# unreachable, asking it at most every CHECK_SECONDS per process.
if replica_url := env_str("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = parse_database_url("DATABASE_REPLICA_URL", replica_url)
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgres:// URL (a streaming replica).")
    DATABASES["replica"]["OPTIONS"].setdefault("connect_timeout", "2")
    # Tests read the replica as the primary's mirror instead of creating a database on it.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["hotline.db_router.ReplicaRouter"]
HOTLINE_REPLICA_MAX_LAG = env_int("HOTLINE_REPLICA_MAX_LAG", 5, minimum=0)
HOTLINE_REPLICA_CHECK_SECONDS = env_int("HOTLINE_REPLICA_CHECK_SECONDS", 2, minimum=0)
# A persistent connection used by a request less than this many seconds ago skips the
# health check's SELECT 1 at the next request (hotline/db_health.py); 0 always checks.
HOTLINE_DB_HEALTH_CHECK_IDLE = env_int("HOTLINE_DB_HEALTH_CHECK_IDLE", 10, minimum=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_timezone("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
# htmx from npm (package.json), served as static/htmx/htmx.min.js; no CDN.
STATICFILES_DIRS.append(("htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"))
STATIC_ROOT = Path(env_str("HOTLINE_STATIC_ROOT") or VAR_DIR / "staticfiles")
# Production serves static files with whitenoise from the web process rather than only
# from nginx: the app then works the same behind any proxy (or none, on a health-check
# port), hashed names let them be cached forever, and files are pre-compressed once at
# `collectstatic`. nginx may still serve STATIC_ROOT directly (deploy/nginx.conf).
# The manifest storage needs `collectstatic` first, so development (DEBUG=1) keeps the
# plain storage that serves straight from the source folders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # --- api app (issue 4) ---
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"public": env_rate("HOTLINE_PUBLIC_THROTTLE", "30/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hotline API",
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # Swagger UI assets from the drf-spectacular-sidecar package: no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Gives api.schema.AutoSchema drf-spectacular's class as its base first (api/schema.py).
    "DEFAULT_GENERATOR_CLASS": "api.schema_generator.SchemaGenerator",
    # One schema name per choice set (else check --deploy warns; drf_spectacular.W001).
    "ENUM_NAME_OVERRIDES": {
        "ResolutionEnum": "workorders.choices.Resolution",
        "SatisfactionEnum": "workorders.choices.Satisfaction",
        "ChannelEnum": "workorders.choices.Channel",
        "StatusEnum": "workorders.choices.Status",
        "EmergencyLineEnum": "community.models.EmergencyLine",
    },
}
# How long an API token's user and memberships are remembered per process (api/authentication.py).
HOTLINE_AUTH_CACHE_SECONDS = env_int("HOTLINE_AUTH_CACHE_SECONDS", 10, minimum=0)
HOTLINE_ATTACHMENT_MAX_BYTES = env_int("HOTLINE_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
# Seconds the supervisor dashboard's figures are cached (dashboards/selectors.py; 0 = off).
HOTLINE_DASHBOARD_CACHE_SECONDS = env_int("HOTLINE_DASHBOARD_CACHE_SECONDS", 120, minimum=0)
# --- Open311 GeoReport v2 (discovery document, media_url fetching) ---------------------
# The jurisdiction_id clients must send (empty = any), the discovery document's changeset
# date, contact line and how to get a key (empty: the translated "ask the 12345 center").
HOTLINE_OPEN311_JURISDICTION = env_str("HOTLINE_OPEN311_JURISDICTION", "")
HOTLINE_OPEN311_CHANGESET = env_str("HOTLINE_OPEN311_CHANGESET", "2026-12-01T00:00:00+08:00")
HOTLINE_OPEN311_CONTACT = env_str("HOTLINE_OPEN311_CONTACT", "12345")
HOTLINE_OPEN311_KEY_SERVICE = env_str("HOTLINE_OPEN311_KEY_SERVICE", "")
HOTLINE_OPEN311_TEST_URL = env_str("HOTLINE_OPEN311_TEST_URL", "")
HOTLINE_OPEN311_FETCH_MEDIA = env_bool("HOTLINE_OPEN311_FETCH_MEDIA", False)
HOTLINE_OPEN311_FETCH_TIMEOUT = env_int("HOTLINE_OPEN311_FETCH_TIMEOUT", 5, minimum=1)

# --- Celery -------------------------------------------------------------------------
# Embedded default: Celery's filesystem transport under var/, so a bare machine runs a
# real worker and beat with no broker installed. CELERY_BROKER_URL=redis://… switches.
CELERY_BROKER_URL = check_broker_url("CELERY_BROKER_URL", env_str("CELERY_BROKER_URL") or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        # Exchange tables; kombu's default is a "control" folder in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    # kombu's filesystem transport does not create its folders; a fresh clone has none.
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A prefork child whose memory passed this after a task is replaced once the task is done
# (Celery's worker_max_memory_per_child, in KiB): the nightly training (~1 GB at 1M orders),
# a large ledger export or any other heavy task would otherwise leave its child holding
# that memory for the rest of its life; a child after ordinary work holds 65–80 MB.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("HOTLINE_WORKER_MAX_MEMORY_MB", 150, minimum=100) * 1024
# Workers log through LOGGING below (request id = task id, order number on each line).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
# Run tasks in the calling process (benchmarks and scripts without a worker); never in production.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE: dict = {}
HOTLINE_SCAN_INTERVAL = env_int("HOTLINE_SCAN_INTERVAL", 15, minimum=1)
HOTLINE_ROLLUP_INTERVAL = env_int("HOTLINE_ROLLUP_INTERVAL", 60, minimum=1)
# dispatch: the deadline scan (DESIGN: at least every 30 s), the notification sweeper,
# re-routing of orders whose routing message was lost, the calendar coverage check.
CELERY_BEAT_SCHEDULE.update(
    {
        "dispatch-scan-deadlines": {
            "task": "dispatch.scan_deadlines",
            "schedule": float(HOTLINE_SCAN_INTERVAL),
        },
        "dispatch-sweep": {
            "task": "dispatch.sweep",
            "schedule": float(env_int("HOTLINE_SWEEP_INTERVAL", 60, minimum=1)),
        },
        "dispatch-check-calendar": {"task": "dispatch.check_calendar", "schedule": 600.0},
    }
)
# api: idempotency keys are kept 24 h.
CELERY_BEAT_SCHEDULE["api-purge-idempotency-keys"] = {"task": "api.purge_idempotency_keys", "schedule": 3600.0}
# dashboards: re-roll the days changed since the last run into the daily roll-up.
CELERY_BEAT_SCHEDULE["dashboards-rollup-refresh"] = {
    "task": "dashboards.rollup_refresh",
    "schedule": float(HOTLINE_ROLLUP_INTERVAL),
}
# The follow-up outbox (workorders/outbox.py): beat nudges the workers of pending rows
# nobody claimed within GRACE seconds (a lost message); done rows are kept KEEP_DAYS.
HOTLINE_OUTBOX_SWEEP_INTERVAL = env_int("HOTLINE_OUTBOX_SWEEP_INTERVAL", 5, minimum=1)
HOTLINE_OUTBOX_GRACE = env_int("HOTLINE_OUTBOX_GRACE", 5, minimum=0)
HOTLINE_OUTBOX_MAX_ATTEMPTS = env_int("HOTLINE_OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
HOTLINE_OUTBOX_BACKOFF = env_int("HOTLINE_OUTBOX_BACKOFF", 5, minimum=1)  # seconds, doubled per failed try
HOTLINE_OUTBOX_BACKOFF_MAX = 3600
HOTLINE_OUTBOX_KEEP_DAYS = env_int("HOTLINE_OUTBOX_KEEP_DAYS", 7, minimum=1)
# The web sends no broker message: a relay thread in each worker's main process
# (hotline/outbox_relay.py) wakes the drains. On PostgreSQL a trigger NOTIFYs it when a
# row commits; on SQLite it looks for new due rows every this many milliseconds (one
# query on the pending rows' partial index).
HOTLINE_OUTBOX_RELAY_POLL_MS = env_int("HOTLINE_OUTBOX_RELAY_POLL_MS", 100, minimum=10)
# A task nudged less than this many milliseconds ago is not nudged again at once: the rows
# committed meanwhile get one more nudge when the window ends, and only if a row is still
# waiting with no drain on it. The first row after a quiet spell is nudged at once.
HOTLINE_OUTBOX_RELAY_WINDOW_MS = env_int("HOTLINE_OUTBOX_RELAY_WINDOW_MS", 100, minimum=0)
CELERY_BEAT_SCHEDULE["dispatch-sweep-follow-ups"] = {
    "task": "dispatch.sweep_follow_ups",
    "schedule": float(HOTLINE_OUTBOX_SWEEP_INTERVAL),
}
# triage: the dispatch model is retrained nightly (local time) from the order history.
HOTLINE_TRAIN_HOUR = env_int("HOTLINE_TRAIN_HOUR", 2, minimum=0)
if HOTLINE_TRAIN_HOUR > 23:
    raise ImproperlyConfigured("HOTLINE_TRAIN_HOUR must be an hour of the day, 0–23.")
CELERY_BEAT_SCHEDULE["triage-train-models"] = {
    "task": "triage.train_models",
    # A dict is a crontab's fields (hotline/celery.py makes it one): the web, which never
    # schedules anything, does not import Celery for it.
    "schedule": {"hour": HOTLINE_TRAIN_HOUR, "minute": 15},
}
# Below this many labelled orders the suggestions come from the keyword rules (cold start).
HOTLINE_TRAIN_MIN_ORDERS = env_int("HOTLINE_TRAIN_MIN_ORDERS", 300, minimum=2)
# Training streams the whole history (0) or only this many of the latest orders; memory
# stays bounded either way (hashed features, counted chunk by chunk: triage/model.py).
HOTLINE_TRAIN_MAX_ORDERS = env_int("HOTLINE_TRAIN_MAX_ORDERS", 0, minimum=0)
# Default per-category confidence (percent) for dispatch with no person; admin rows override.
# 50: with the calibration that allows for the history's wrong labels (triage/model.py,
# calibrate), confidence roughly means what it says; at or above 0.5 the model ALONE is
# right on 94.9 % of unseen wordings, and the simulated month still dispatches 69.1 % /
# 61.8 % of all orders with no person (operators right 95 % / 85 %), none came back
# (BENCHMARKS.md, run 5). The router also needs the operator's category and the rules'
# unit to agree with it, so far fewer than the model's own misses come back.
HOTLINE_AUTO_DISPATCH_THRESHOLD = env_int("HOTLINE_AUTO_DISPATCH_THRESHOLD", 50, minimum=0) / 100
if HOTLINE_AUTO_DISPATCH_THRESHOLD > 1:
    raise ImproperlyConfigured("HOTLINE_AUTO_DISPATCH_THRESHOLD is a percentage, 0–100.")
# open311: the daily open-data snapshot (made once a day; hourly catches a missed run).
CELERY_BEAT_SCHEDULE["open311-open-data"] = {"task": "open311.open_data_publish", "schedule": 3600.0}
# retention (PIPL): anonymise closed orders' personal data once a day.
CELERY_BEAT_SCHEDULE["dispatch-retention"] = {"task": "dispatch.retention", "schedule": 24 * 3600.0}
# proactive: the week's early-warning signals (a rerun of a week replaces its rows).
CELERY_BEAT_SCHEDULE["proactive-detect-signals"] = {"task": "proactive.detect_signals", "schedule": 3600.0}
# web: ledger exports a worker writes (web/exports.py): lost or stuck ones, and deleting old files.
CELERY_BEAT_SCHEDULE["web-ledger-exports-sweep"] = {"task": "web.ledger_exports_sweep", "schedule": 60.0}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Queues, so that a backlog of one kind of work never delays another (a storm of
# notifications must not hold up routing). A worker started without -Q consumes all of
# them (the embedded default, `make run`); per-queue workers: README "Celery queues".
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES: dict[str, dict[str, str]] = {
    name: {} for name in ("routing", "notifications", "scans", "training", "default")
}
CELERY_TASK_ROUTES = {
    "dispatch.route_order": {"queue": "routing"},
    "dispatch.on_event": {"queue": "notifications"},
    "dispatch.send_notifications": {"queue": "notifications"},
    "dispatch.send_event_notifications": {"queue": "notifications"},
    "dispatch.scan_deadlines": {"queue": "scans"},
    "dispatch.sweep": {"queue": "scans"},
    "dispatch.sweep_follow_ups": {"queue": "scans"},
    "dispatch.check_calendar": {"queue": "scans"},
    "api.purge_idempotency_keys": {"queue": "scans"},
    "dashboards.*": {"queue": "scans"},
    "proactive.*": {"queue": "scans"},
    "web.ledger_exports_sweep": {"queue": "scans"},
    "*.train*": {"queue": "training"},
}

# --- Hotline -----------------------------------------------------------------------
# Working hours used for limits counted in working time ("wh"/"wd" limits).
HOTLINE_WORKDAY_START = env_time("HOTLINE_WORKDAY_START", "09:00")
HOTLINE_WORKDAY_END = env_time("HOTLINE_WORKDAY_END", "17:30")
if HOTLINE_WORKDAY_END <= HOTLINE_WORKDAY_START:
    raise ImproperlyConfigured("HOTLINE_WORKDAY_END must be later than HOTLINE_WORKDAY_START.")
# Fraction of a stage's limit after which the unit is warned (黄灯).
HOTLINE_WARN_FRACTION = 0.75
HOTLINE_CALLBACK_MAX_ATTEMPTS = env_int("HOTLINE_CALLBACK_MAX_ATTEMPTS", 3, minimum=1)
HOTLINE_MAX_RETURNS = env_int("HOTLINE_MAX_RETURNS", 3, minimum=1)
# governance: the center reviews a unit's return (退单) within this many working days (a
# return_review Deadline the scan watches); a unit may appeal (申诉) a breach, a rating
# or a return decision within this many calendar days of it.
HOTLINE_RETURN_REVIEW_WORKDAYS = env_int("HOTLINE_RETURN_REVIEW_WORKDAYS", 2, minimum=1)
HOTLINE_APPEAL_DAYS = env_int("HOTLINE_APPEAL_DAYS", 7, minimum=1)
# dispatch: a breached stage still open this many minutes after its due time escalates
# to the center; notifications go through HOTLINE_NOTIFY_BACKEND (a dotted class path).
HOTLINE_ESCALATE_AFTER_MINUTES = env_int("HOTLINE_ESCALATE_AFTER_MINUTES", 24 * 60, minimum=1)
HOTLINE_NOTIFY_BACKEND = env_import("HOTLINE_NOTIFY_BACKEND", "dispatch.backends.LogBackend")
HOTLINE_NOTIFY_FILE = env_str("HOTLINE_NOTIFY_FILE", str(VAR_DIR / "notifications.jsonl"))
HOTLINE_NOTIFY_MAX_ATTEMPTS = env_int("HOTLINE_NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
# Seconds: the sweeper sends pending rows older than GRACE (their own task was lost) and
# re-sends rows claimed longer than LEASE ago (their sender died).
HOTLINE_NOTIFY_GRACE = env_int("HOTLINE_NOTIFY_GRACE", 20, minimum=1)
HOTLINE_NOTIFY_LEASE = env_int("HOTLINE_NOTIFY_LEASE", 120, minimum=1)
HOTLINE_SCAN_BATCH = env_int("HOTLINE_SCAN_BATCH", 200, minimum=1)
HOTLINE_SMS_URL = env_str("HOTLINE_SMS_URL", "")
HOTLINE_SMS_TOKEN = env_str("HOTLINE_SMS_TOKEN", "")
HOTLINE_SMS_TIMEOUT = env_int("HOTLINE_SMS_TIMEOUT", 10, minimum=1)
if HOTLINE_NOTIFY_BACKEND == "dispatch.backends.HttpSmsBackend" and not HOTLINE_SMS_URL:
    raise ImproperlyConfigured("HOTLINE_SMS_URL must be set when HOTLINE_NOTIFY_BACKEND is the HTTP SMS backend.")
# The site's public address (https://12345.example.gov.cn): SMS to residents carry the
# tracking link under it; empty, they carry number and code only.
HOTLINE_PUBLIC_BASE_URL = env_str("HOTLINE_PUBLIC_BASE_URL", "")
if HOTLINE_PUBLIC_BASE_URL and not HOTLINE_PUBLIC_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"HOTLINE_PUBLIC_BASE_URL={HOTLINE_PUBLIC_BASE_URL!r} must start with https:// or http://."
    )

# The city the district belongs to (grids/gazetteer.py): "北京市新华路66号" names our own
# 新华路, not a place elsewhere; any other city or province still marks an address outside.
HOTLINE_CITY = env_str("HOTLINE_CITY", "北京市").strip()

# Days a closed order keeps its caller's personal data before the daily retention job
# anonymises it (dispatch/retention.py).
HOTLINE_RETENTION_DAYS = env_int("HOTLINE_RETENTION_DAYS", 730, minimum=1)
# Days a key resident (care) taken off the roll keeps name, phone, address and notes
# before the same job anonymises the record (care/retention.py).
HOTLINE_CARE_RETENTION_DAYS = env_int("HOTLINE_CARE_RETENTION_DAYS", 365, minimum=1)

SESSION_COOKIE_AGE = int(timedelta(hours=12).total_seconds())

# --- Production security (issue 9.13) ------------------------------------------------
# HTTPS on by default when DEBUG is off: secure cookies, redirect to https, HSTS. Behind
# a proxy that terminates TLS set HOTLINE_PROXY_SSL_HEADER=1 (and have the proxy always
# set X-Forwarded-Proto, deploy/nginx.conf), or every request looks like plain http.
HOTLINE_HTTPS = env_bool("HOTLINE_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HOTLINE_HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HOTLINE_HTTPS)
# Probes and the metrics scraper talk plain http to the web port from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HOTLINE_HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("HOTLINE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Preloading is the domain owner's commitment to the browsers' list, not the app's to
# make: SECURE_HSTS_PRELOAD=1 opts in; until then check --deploy would warn forever.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Content-Security-Policy (django-csp): only our own origin; no inline script or style
# anywhere (the templates use static files, web/tests/test_csp.py checks every page),
# images also from data:/blob: (QR codes, photo previews before upload).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
CONTENT_SECURITY_POLICY_REPORT_ONLY: dict | None = None  # no report-only policy (hotline/csp.py reads it)

LOG_LEVEL = env_log_level("LOG_LEVEL", "INFO")
# text: one human line; json: one JSON object a line (for a log shipper). Both carry the
# request id and the order number (hotline/logging.py).
LOG_FORMAT = env_choice("LOG_FORMAT", "text", {"text", "json"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "hotline.logging.ContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(order)s] %(message)s"},
        "json": {"()": "hotline.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- Hardening: client address, shared cache, throttles, lock-outs (issue 9 §8–12) ---
# Kept in one block (hotline.ratelimit, attachments, api.parsers, axes read these).
# Reverse proxies in front of Django: 0 = none, REMOTE_ADDR is the client and
# X-Forwarded-For is ignored; N = the N-th X-Forwarded-For entry from the right.
HOTLINE_TRUSTED_PROXIES = env_int("HOTLINE_TRUSTED_PROXIES", 0, minimum=0)
REST_FRAMEWORK["NUM_PROXIES"] = HOTLINE_TRUSTED_PROXIES
# Throttle counters and lock-outs live in the default cache: Redis in production, so all
# processes and machines share one bucket; without it each process counts alone.
HOTLINE_CACHE_URL = env_str("HOTLINE_CACHE_URL", "")
if HOTLINE_CACHE_URL:
    if not HOTLINE_CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"HOTLINE_CACHE_URL={HOTLINE_CACHE_URL!r} must be a redis:// or rediss:// URL.")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": HOTLINE_CACHE_URL,
            "KEY_PREFIX": "hotline",
            # A Redis outage must cost a slower page, not a hung worker.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    # Stateless web (several gunicorn instances): sessions read from the shared cache and
    # kept in the database too (cached_db), so a flushed Redis logs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Wrong tracking codes per order number / per client before look-ups are refused, and for how long.
HOTLINE_TRACK_MAX_FAILURES = env_int("HOTLINE_TRACK_MAX_FAILURES", 5, minimum=1)
HOTLINE_TRACK_CLIENT_MAX_FAILURES = env_int("HOTLINE_TRACK_CLIENT_MAX_FAILURES", 20, minimum=1)
HOTLINE_TRACK_LOCKOUT_SECONDS = env_int("HOTLINE_TRACK_LOCKOUT_SECONDS", 900, minimum=1)
# Open311 requests per client address per minute (GET is anonymous; POST needs an api_key).
HOTLINE_OPEN311_THROTTLE = env_int("HOTLINE_OPEN311_THROTTLE", 120, minimum=1)
if not re.fullmatch(r"\d+/(s|sec|m|min|h|hour|d|day)", REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public"]):
    raise ImproperlyConfigured("HOTLINE_PUBLIC_THROTTLE must look like 30/min (a number, then /s, /min, /h or /day).")
# Hostile input: NUL characters anywhere are a 400 (hotline.middleware), JSON bodies nest
# at most this deep (api.parsers; ~1,100 levels made the parser raise RecursionError).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "hotline.middleware.RefuseNulMiddleware"
)
HOTLINE_JSON_MAX_DEPTH = env_int("HOTLINE_JSON_MAX_DEPTH", 32, minimum=2)
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "api.parsers.SafeJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
# Photos: most pixels an upload may claim in its header (checked before decoding).
HOTLINE_MAX_PIXELS_PUBLIC = env_int("HOTLINE_MAX_PIXELS_PUBLIC", 16_000_000, minimum=1)
HOTLINE_MAX_PIXELS_STAFF = env_int("HOTLINE_MAX_PIXELS_STAFF", 24_000_000, minimum=1)
# Brute force on the login page and the admin (django-axes): after AXES_FAILURE_LIMIT
# wrong passwords for one account, or from one client address (the same trusted address
# the throttles use), logins are refused for the cool-off; attempts are rows in the admin
# and each lock-out is logged.
INSTALLED_APPS.append("axes")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as axes requires
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("HOTLINE_LOGIN_MAX_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("HOTLINE_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "hotline.ratelimit.axes_client_address"
AXES_LOCKOUT_CALLABLE = "hotline.ratelimit.axes_lockout_response"
# API tokens (api.models.ApiToken, stored hashed) expire after this many days unless made with another.
HOTLINE_API_TOKEN_DAYS = env_int("HOTLINE_API_TOKEN_DAYS", 90, minimum=1)
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "rest_framework.authentication.SessionAuthentication",
    "api.authentication.CachedTokenAuthentication",
]

# --- Health and metrics (hotline/health.py, hotline/metrics.py) --------------------------
# /metrics answers a bearer token when one is set, else only these client networks.
HOTLINE_METRICS_TOKEN = env_str("HOTLINE_METRICS_TOKEN", "")
HOTLINE_METRICS_ALLOW = env_networks("HOTLINE_METRICS_ALLOW", ["127.0.0.1/32", "::1/128"])
# Read by prometheus-client itself: a directory shared by gunicorn's workers.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", "")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured(f"PROMETHEUS_MULTIPROC_DIR={PROMETHEUS_MULTIPROC_DIR!r} is not a directory.")

# --- community app (issue 16): the city's 12345 platform upstream -----------------------
# Where reports on handed-down orders (acceptance, reply, closure) are POSTed, and the
# shared secret that signs them and the platform's webhooks to /community/upstream/webhook
# (HMAC-SHA256 over "<timestamp>.<body>"). Empty URL: no upstream (its webhook answers 404).
HOTLINE_UPSTREAM_URL = env_str("HOTLINE_UPSTREAM_URL", "")
HOTLINE_UPSTREAM_SECRET = env_str("HOTLINE_UPSTREAM_SECRET", "")
if HOTLINE_UPSTREAM_URL and len(HOTLINE_UPSTREAM_SECRET) < 16:
    raise ImproperlyConfigured(
        f"HOTLINE_UPSTREAM_SECRET={'*' * len(HOTLINE_UPSTREAM_SECRET)!r} is too short: "
        "16+ characters are required when HOTLINE_UPSTREAM_URL is set."
    )
HOTLINE_UPSTREAM_TIMEOUT = env_int("HOTLINE_UPSTREAM_TIMEOUT", 10, minimum=1)
# A signed webhook older or newer than this many seconds is refused (replayed captures).
HOTLINE_UPSTREAM_MAX_SKEW = env_int("HOTLINE_UPSTREAM_MAX_SKEW", 300, minimum=1)
# 回头看 (community/revisits.py): due revisits are made hourly.
CELERY_BEAT_SCHEDULE["community-revisit-scan"] = {"task": "community.revisit_scan", "schedule": 3600.0}
