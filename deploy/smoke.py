#!/usr/bin/env python
"""The production profile, started from this checkout the way deploy/ says (CI runs it).

On a database and Redis db of its own and a free port: the production variables of
deploy/hotline.env.example (DEBUG=0, HTTPS settings, JSON logs, metrics token) pass
``check --deploy``; migrate, collectstatic, setup_district (the example file) and
create_first_admin run as README › Deploy says; then the ExecStart lines of
deploy/systemd/*.service are started as written (paths replaced by this checkout's):
gunicorn, a Celery worker and beat. Checked through gunicorn, as nginx would call it:
static files (CSS, htmx, admin) served with hashed names and long cache headers, the
security headers, /healthz and a green /readyz (database, scan and roll-up
heartbeats, follow-ups' age), a call logged through the API and routed to its street by the worker,
/metrics behind its token, and the request id on the app's JSON log lines.

    SMOKE_PG=postgres://postgres@127.0.0.1:5432 \\
    SMOKE_BROKER_URL=redis://127.0.0.1:6379/12 [SMOKE_DATABASE=name] .venv/bin/python deploy/smoke.py
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG = os.environ.get("SMOKE_PG", "postgres://postgres@127.0.0.1:5432")
BROKER = os.environ.get("SMOKE_BROKER_URL", "redis://127.0.0.1:6379/12")
TIMEOUT = float(os.environ.get("SMOKE_TIMEOUT", "120"))


def say(message: str) -> None:
    print(f"smoke: {message}", flush=True)


def fail(message: str) -> None:
    raise SystemExit(f"smoke: FAILED: {message}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unit_command(unit: str, var: Path) -> list[str]:
    """The ExecStart of deploy/systemd/<unit>, with /opt/hotline → this checkout and
    /var/lib/hotline → the run's own directory."""
    text = (ROOT / "deploy" / "systemd" / unit).read_text()
    line = next(x for x in text.splitlines() if x.startswith("ExecStart="))
    # systemd's specifiers as systemd expands them: %% is a literal %, %H the host name
    # (an unknown one is an error here, as it would be a surprise there).
    specifiers = {"%": "%", "H": socket.gethostname()}
    line = re.sub(r"%(.)", lambda m: specifiers[m.group(1)], line.removeprefix("ExecStart="))
    line = line.replace("/opt/hotline/.venv/bin/", f"{BIN}/").replace("/opt/hotline", str(ROOT))
    return shlex.split(line.replace("/var/lib/hotline", str(var)))


def production_env(var: Path, database: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "HOTLINE_", "CELERY_", "DATABASE_"))}
    example = ROOT / "deploy" / "hotline.env.example"
    for line in example.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{port}",
        DATABASE_URL=f"{PG}/{database}",
        CELERY_BROKER_URL=BROKER,
        HOTLINE_CACHE_URL=BROKER,
        HOTLINE_VAR_DIR=str(var),
        HOTLINE_NOTIFY_BACKEND="dispatch.backends.FileBackend",
        HOTLINE_METRICS_TOKEN=secrets.token_urlsafe(16),
        # Short beats so /readyz turns green within seconds, not minutes.
        HOTLINE_SCAN_INTERVAL="2",
        HOTLINE_ROLLUP_INTERVAL="3",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
        PROMETHEUS_MULTIPROC_DIR=str(var / "metrics"),
        DJANGO_SETTINGS_MODULE="hotline.settings",
    )
    env.pop("HOTLINE_SMS_URL", None)
    env.pop("HOTLINE_SMS_TOKEN", None)
    return env


class Client:
    """Talks to gunicorn as nginx would: X-Forwarded-Proto https, a forwarded-for."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, *, headers: dict | None = None, proxied: bool = True):
        return self.request("GET", path, headers=headers, proxied=proxied)

    def request(self, method: str, path: str, *, body=None, headers=None, proxied=True):
        h = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"} if proxied else {}
        h.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        if data:
            h["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(req, timeout=15) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, input=stdin
    )
    if result.returncode != 0:
        fail(f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def wait_for(what: str, check, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    fail(f"{what} not reached in {timeout:.0f} s (last: {last!r})")


def check_static(client: Client, var: Path) -> None:
    manifest = json.loads((var / "staticfiles" / "staticfiles.json").read_text())["paths"]
    for name, kind in [
        ("css/hotline.css", "text/css"),
        ("htmx/htmx.min.js", "javascript"),
        ("admin/css/base.css", "text/css"),
        ("web/web.js", "javascript"),
    ]:
        status, headers, body = client.get(f"/static/{manifest[name]}", headers={"Accept-Encoding": "gzip"})
        if status != 200 or kind not in headers.get("Content-Type", "") or not body:
            fail(f"/static/{manifest[name]} answered {status} {headers.get('Content-Type')}")
        if "max-age=315360000" not in headers.get("Cache-Control", "") or headers.get("Content-Encoding") != "gzip":
            fail(f"{name}: not served hashed+gzip with a long cache ({headers})")
    status, _, page = client.get("/accounts/login/")
    link = re.search(rb'href="(/static/css/hotline\.[0-9a-f]{12}\.css)"', page)
    if status != 200 or not link or client.get(link.group(1).decode())[0] != 200:
        fail("the login page does not link its hashed stylesheet")
    say("static files served by gunicorn (CSS, htmx, admin, app JS): hashed, gzip, cached a year")


def check_security(client: Client) -> None:
    status, headers, _ = client.get("/accounts/login/", proxied=False)
    if status != 301 or not headers.get("Location", "").startswith("https://"):
        fail(f"plain http is not redirected to https ({status} {headers.get('Location')})")
    status, headers, _ = client.get("/accounts/login/")
    csp = headers.get("Content-Security-Policy", "")
    if "script-src 'self'" not in csp or "max-age=31536000" not in headers.get("Strict-Transport-Security", ""):
        fail(f"security headers missing: {headers}")
    if "Secure" not in headers.get("Set-Cookie", "Secure"):
        fail("cookies are not Secure")
    say("https redirect, HSTS, CSP and secure cookies in place")


def log_and_route(client: Client, env: dict) -> None:
    token = manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; from grids.models import Membership, OrgUnit;"
        "from api.tokens import api_token_create;"
        "u = get_user_model().objects.create_user('smoke_operator');"
        "Membership.objects.create(user=u, unit=OrgUnit.objects.get(code='C'), role='operator');"
        "print(api_token_create(user=u, name='smoke')[1])",
    ).split()[-1]
    call = {
        "title": "东湖花园门口有人占道摆摊",
        "description": "每天傍晚在东湖花园东门摆摊，影响通行。",
        "caller_phone": "13812345678",
        "caller_name": "张三",
        "lat": 39.905,
        "lng": 116.305,
        "category": "0101",
    }
    rid = "smoke-" + secrets.token_hex(6)
    auth = {"Authorization": f"Token {token}", "X-Request-ID": rid}
    status, headers, body = client.request("POST", "/api/v1/orders", body=call, headers=auth)
    if status != 201 or headers.get("X-Request-ID") != rid:
        fail(f"logging a call answered {status}: {body[:300]!r}")
    number = json.loads(body)["number"]

    def routed():
        s, _, b = client.get(f"/api/v1/orders/{number}", headers=auth)
        data = json.loads(b) if s == 200 else {}
        return data if data.get("status") == "assigned" else None

    order = wait_for(f"order {number} routed by the worker", routed)
    say(f"call {number} logged through the API and routed by the worker: {json.dumps(order.get('current_unit'))}")
    return rid, number


def check_metrics(client: Client, env: dict) -> None:
    status, _, _ = client.get("/metrics")
    if status != 403:
        fail(f"/metrics without the token answered {status}")
    status, _, body = client.get("/metrics", headers={"Authorization": f"Bearer {env['HOTLINE_METRICS_TOKEN']}"})
    text = body.decode()
    for name in ("hotline_request_seconds_bucket", 'hotline_orders{status="assigned"}', "hotline_scan_lag_seconds"):
        if status != 200 or name not in text:
            fail(f"/metrics lacks {name} ({status})")
    say("/metrics answers its token only, with request latency (all gunicorn workers) and work gauges")


def main() -> int:
    # SMOKE_DATABASE: a name of the caller's own on a shared server (created and dropped here).
    database = os.environ.get("SMOKE_DATABASE") or f"hotline_smoke_{os.getpid()}"
    port = free_port()
    var = Path(tempfile.mkdtemp(prefix="hotline-smoke-"))
    (var / "metrics").mkdir()
    env = production_env(var, database, port)
    admin = f"{PG}/postgres"
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {database}"], check=True)
    procs: list[subprocess.Popen] = []
    logs = {name: (var / f"{name}.log").open("w+") for name in ("web", "worker", "beat")}
    try:
        out = manage(env, "check", "--deploy", "--fail-level", "WARNING")
        say(f"check --deploy with deploy/hotline.env.example: {out.strip().splitlines()[-1]}")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        manage(env, "setup_district", str(ROOT / "deploy" / "district.example.geojson"))
        manage({**env, "HOTLINE_ADMIN_PASSWORD": secrets.token_urlsafe(16)}, "create_first_admin", "--noinput")
        for name in ("web", "worker", "beat"):
            command = unit_command(f"hotline-{name}.service", var)
            procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=logs[name], stderr=logs[name]))
        client = Client(port)
        wait_for("/healthz", lambda: client.get("/healthz", proxied=False)[0] == 200, timeout=60)
        check_static(client, var)
        check_security(client)

        def ready():
            status, _, body = client.get("/readyz", proxied=False)
            return json.loads(body) if status == 200 else None

        checks = wait_for("/readyz green", ready)["checks"]
        say(f"/readyz green: {', '.join(sorted(checks))}")
        rid, number = log_and_route(client, env)
        check_metrics(client, env)
        for log in logs.values():
            log.flush()
        if f"rid={rid}" not in (var / "web.log").read_text():
            fail("gunicorn's access log line does not carry the request id")
        lines = [json.loads(x) for x in (var / "worker.log").read_text().splitlines() if x.startswith("{")]
        if not any(x.get("request_id") == rid and x.get("order") == number for x in lines):
            fail("no JSON log line of the worker carries the request id and order number of the call")
        say("the request id is on the access log line and, with the order number, on the worker's JSON lines")
        say("OK")
        return 0
    except SystemExit:
        for name in logs:
            logs[name].flush()
            print(f"--- {name} log (tail) ---\n" + "\n".join((var / f"{name}.log").read_text().splitlines()[-40:]))
        raise
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], check=False)


if __name__ == "__main__":
    sys.exit(main())
