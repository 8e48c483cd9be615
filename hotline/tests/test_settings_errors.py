"""Every setting is parsed at start-up: a bad value stops manage.py, the WSGI module and
Celery with exit 2 and one line naming the variable, never a traceback or a later 500."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

BAD = [
    ("DEBUG", "ture"),
    ("TIME_ZONE", "Mars/Base"),
    ("LOG_LEVEL", "loud"),
    ("LOG_FORMAT", "xml"),
    ("HOTLINE_PUBLIC_THROTTLE", "abc"),
    ("HOTLINE_PUBLIC_THROTTLE", "30/fortnight"),
    ("HOTLINE_NOTIFY_BACKEND", "dispatch.backends.LogBackends"),
    ("HOTLINE_NOTIFY_BACKEND", "dispatch.nosuchmodule.Backend"),
    ("HOTLINE_DASHBOARD_CACHE_SECONDS", "-1"),
    ("HOTLINE_SCAN_INTERVAL", "15s"),
    ("HOTLINE_WORKDAY_START", "9am"),
    ("DATABASE_URL", "mysql://u@h/db"),
    ("CELERY_BROKER_URL", "amqq://guest@localhost//"),
    ("SECURE_HSTS_SECONDS", "a year"),
    ("HOTLINE_METRICS_ALLOW", "10.0.0.0/33"),
    ("HOTLINE_WORKER_MAX_MEMORY_MB", "50"),  # below what a child holds at start: endless replacing
]


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "hotline.settings", **env}
    return subprocess.run(args, cwd=ROOT, env=full, capture_output=True, text=True, timeout=120)


def _one_line_naming(result: subprocess.CompletedProcess, name: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert re.search(rf"\b{name}=", lines[0]), lines[0]


@pytest.mark.parametrize(("name", "value"), BAD)
def test_bad_value_stops_manage_py_with_one_line(name, value):
    _one_line_naming(_run([sys.executable, "manage.py", "check"], **{name: value}), name)


def test_bad_value_stops_wsgi_and_celery_with_one_line():
    env = {"HOTLINE_PUBLIC_THROTTLE": "abc"}
    _one_line_naming(_run([sys.executable, "-c", "import hotline.wsgi"], **env), "HOTLINE_PUBLIC_THROTTLE")
    celery = str(Path(sys.executable).parent / "celery")
    _one_line_naming(_run([celery, "-A", "hotline", "worker"], **env), "HOTLINE_PUBLIC_THROTTLE")
    # As deploy/systemd starts the worker and beat.
    entry = [sys.executable, "-m", "hotline.celery_main", "-A", "hotline"]
    _one_line_naming(_run([*entry, "worker"], **env), "HOTLINE_PUBLIC_THROTTLE")
    _one_line_naming(_run([*entry, "beat"], **env), "HOTLINE_PUBLIC_THROTTLE")


def test_missing_secret_with_debug_off_is_one_line():
    result = _run([sys.executable, "manage.py", "check"], DEBUG="0", SECRET_KEY="")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "SECRET_KEY must be set" in result.stderr


def test_debug_is_off_unless_asked_for():
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "SECRET_KEY": "x" * 60, "DJANGO_SETTINGS_MODULE": "hotline.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "False", result.stderr


def test_every_setting_the_code_reads_is_defined_in_settings():
    """No getattr(settings, "X", default) fallbacks: each setting has one definition."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("*/**/*.py")
        if not {".venv", "node_modules"} & set(path.parts)
        and path.name != "test_settings_errors.py"
        and "migrations" not in path.parts
        and "getattr(settings," in path.read_text()
    ]
    assert offenders == []


def test_every_variable_settings_reads_is_in_the_readme_table():
    source = (ROOT / "hotline" / "settings.py").read_text() + (ROOT / "hotline" / "env.py").read_text()
    names = set(re.findall(r'env_[a-z_]+\(\s*"([A-Z][A-Z0-9_]+)"', source))
    names |= set(re.findall(r'parse_database_url\(\s*"([A-Z_]+)"', source))
    readme = (ROOT / "README.md").read_text()
    table = {
        m for line in readme.splitlines() if line.startswith("| `") for m in re.findall(r"`([A-Z][A-Z0-9_]+)", line)
    }
    # "HOTLINE_WORKDAY_START / _END" style rows name the second variable by its suffix.
    for line in readme.splitlines():
        for prefix, suffix in re.findall(r"`([A-Z][A-Z0-9_]+?)_[A-Z]+` / `_([A-Z]+)`", line):
            table.add(f"{prefix}_{suffix}")
    assert sorted(names - table) == []


def test_benchmarks_cite_only_variables_settings_read():
    source = (ROOT / "hotline" / "settings.py").read_text()
    cited = set(re.findall(r"`(HOTLINE_[A-Z0-9_]+)", (ROOT / "BENCHMARKS.md").read_text()))
    assert sorted(name for name in cited if f'"{name}"' not in source) == []


def test_the_worker_replaces_a_child_that_a_heavy_task_left_large():
    """Celery's worker_max_memory_per_child (KiB) comes from HOTLINE_WORKER_MAX_MEMORY_MB."""
    code = "from hotline.celery import app; print(app.conf.worker_max_memory_per_child)"
    assert _run([sys.executable, "-c", code]).stdout.split()[-1] == str(150 * 1024)
    assert _run([sys.executable, "-c", code], HOTLINE_WORKER_MAX_MEMORY_MB="400").stdout.split()[-1] == str(400 * 1024)
