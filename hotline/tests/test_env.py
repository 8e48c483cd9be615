import pytest
from django.core.exceptions import ImproperlyConfigured

from hotline.env import check_broker_url, env_bool, env_int, env_time, parse_database_url


def test_database_urls(monkeypatch):
    pg = parse_database_url("DATABASE_URL", "postgres://u:p%40ss@db.example:5433/hotline?sslmode=require")
    assert (pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "hotline",
        "u",
        "p@ss",
        "db.example",
        "5433",
    )
    assert pg["OPTIONS"] == {"sslmode": "require", "options": "-c jit=off"}
    # The URL's own server options replace the default (JIT off, issue 14).
    own = parse_database_url("DATABASE_URL", "postgres://u@h:5432/db?options=-c%20statement_timeout%3D5000")
    assert own["OPTIONS"] == {"options": "-c statement_timeout=5000"}
    assert str(parse_database_url("DATABASE_URL", "sqlite:///var/x.db")["NAME"]) == "var/x.db"
    assert str(parse_database_url("DATABASE_URL", "sqlite:////tmp/x.db")["NAME"]) == "/tmp/x.db"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgres://h:port/db", "postgres://h:5432/", "sqlite://"])
def test_bad_database_url_names_the_variable(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        parse_database_url("DATABASE_URL", url)


def test_strict_scalars(monkeypatch):
    monkeypatch.setenv("DEBUG", "ture")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG", True)
    monkeypatch.setenv("N", "x")
    with pytest.raises(ImproperlyConfigured, match="N="):
        env_int("N", 1)
    monkeypatch.setenv("T", "9am")
    with pytest.raises(ImproperlyConfigured, match="T="):
        env_time("T", "09:00")
    with pytest.raises(ImproperlyConfigured, match="CELERY_BROKER_URL"):
        check_broker_url("CELERY_BROKER_URL", "sqs://guest@localhost//")
    # RabbitMQ is a supported (the recommended production) broker.
    assert check_broker_url("CELERY_BROKER_URL", "amqp://guest@localhost//") == "amqp://guest@localhost//"


def test_settings_refuse_to_start_without_a_secret_when_debug_is_off(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "0", "DJANGO_SETTINGS_MODULE": "hotline.settings"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
