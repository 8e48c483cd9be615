"""Strict parsing of the environment.

Every value the application reads from the environment goes through one of these
helpers, so a typo (DEBUG=ture, DATABASE_URL=postgress://…) stops start-up with a
message naming the variable instead of silently running with a default.
"""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path
from typing import overload
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@overload
def env_str(name: str) -> str | None: ...
@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: str | None) -> str | None: ...
def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_time(name: str, default: str) -> time:
    raw = os.environ.get(name, default)
    try:
        hours, minutes = raw.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a time of day like 09:00.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_database_url(name: str, url: str) -> dict:
    """Turn DATABASE_URL into a Django DATABASES entry.

    Only the two backends the project is tested on are accepted: ``sqlite:///path``
    (relative paths are relative to the project root) and ``postgres://user@host:port/db``.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        raw_path = unquote(parts.path)
        if not raw_path or raw_path == "/":
            raise ImproperlyConfigured(f"{name}={url!r} names no SQLite file; use sqlite:///var/hotline.sqlite3.")
        # sqlite:///var/x.db is relative, sqlite:////abs/x.db is absolute (as in SQLAlchemy).
        path = Path(raw_path[1:]) if raw_path.startswith("/") else Path(raw_path)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the
                # timeout instead of one failing with "database is locked" when it tries
                # to upgrade a read lock mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        db = parts.path.lstrip("/")
        if not db:
            raise ImproperlyConfigured(f"{name}={url!r} names no database; use postgres://user@host:5432/hotline.")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}={url!r} has an invalid port.") from None
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        # No JIT compilation (issue 14): PostgreSQL compiles any query whose estimate
        # passes jit_above_cost, which a list over a large table does, and spent 4.4 s of
        # a 5.7 s workbench query compiling it. Our queries are short; compiling never pays.
        # An ?options=… in the URL replaces this.
        options.setdefault("options", "-c jit=off")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(db),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"{name}={url!r} has an unsupported scheme {scheme!r}; use sqlite:///path or postgres://user@host/db."
    )


def check_broker_url(name: str, url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in {"filesystem", "redis", "rediss", "memory", "amqp", "amqps", "pyamqp"}:
        raise ImproperlyConfigured(
            f"{name}={url!r} has an unsupported scheme {scheme!r}; use redis://host:6379/0 or "
            "amqp://user:pass@host:5672/vhost "
            "(or leave it unset for the embedded filesystem broker)."
        )
    return url


_RATE_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


def env_rate(name: str, default: str) -> str:
    """A throttle rate as DRF writes it (``30/min``); checked here because DRF only
    parses it on the first throttled request, which then answers 500."""
    raw = os.environ.get(name, default).strip()
    count, _, period = raw.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in _RATE_PERIODS:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a rate like 30/min (count/s, /min, /hour or /day).")
    return raw


def env_choice(name: str, default: str, choices: set[str]) -> str:
    raw = os.environ.get(name, default).strip()
    if raw not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r} must be one of {', '.join(sorted(choices))}.")
    return raw


def env_log_level(name: str, default: str) -> str:
    raw = os.environ.get(name, default)
    if raw.strip().upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a log level; use DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    return raw.strip().upper()


def env_timezone(name: str, default: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    raw = os.environ.get(name, default).strip()
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={raw!r} is not an IANA time zone like Asia/Shanghai.") from None
    return raw


def env_import(name: str, default: str) -> str:
    """A dotted path to a class, imported now so a typo stops start-up instead of
    failing every later use (the notification backend is first used by the worker)."""
    from django.utils.module_loading import import_string

    raw = os.environ.get(name, default).strip()
    try:
        import_string(raw)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} cannot be imported: {exc}") from None
    return raw


def exit_on_bad_settings() -> None:
    """Load the settings now; on a configuration error print its one-line message and
    exit 2, instead of the ~55-line traceback Django and Celery would print around it.
    Called first by manage.py, the WSGI/ASGI modules, Celery and gunicorn's config."""
    import sys

    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - touching a setting imports the module
    except ImproperlyConfigured as exc:
        print(f"hotline: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def env_networks(name: str, default: list[str]) -> list:
    """Comma-separated IP networks (10.0.0.0/8, ::1/128; a bare address is one host)."""
    import ipaddress

    out = []
    for item in env_list(name, default):
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}={item!r} is not an IP address or network like 10.0.0.0/8.") from None
    return out
