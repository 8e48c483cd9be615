"""Throwaway servers for the scale-out tests and the system bench: a PostgreSQL primary
with a real streaming replica (pg_basebackup -R), and gunicorn instances, each on a free
port under a temporary directory.

The primary is a cluster of its own made with initdb, never the machine's PostgreSQL:
streaming needs a replication entry in pg_hba and WAL senders, and a test must not change
a shared server's configuration. Debian's binaries live in /usr/lib/postgresql/<v>/bin
(not on PATH); PG_BIN overrides. PostgreSQL refuses to run as root, so as root every
server command runs as the ``postgres`` OS user.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin() -> Path | None:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    out = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, **kw)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr.strip() or out.stdout.strip()}")
    return out


@dataclass
class Cluster:
    datadir: Path
    port: int
    bindir: Path
    log: Path = field(init=False)

    def __post_init__(self):
        self.log = self.datadir.parent / f"{self.datadir.name}.log"

    def url(self, db: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        _run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.log), "-w", "-t", "60", "start"])

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            _run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"], check=False)

    def sql(self, statement: str, db: str = "postgres"):
        import psycopg2

        conn = psycopg2.connect(self.url(db))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class ReplicatedPair:
    base: Path
    primary: Cluster
    replica: Cluster

    def stop(self) -> None:
        self.replica.stop()
        self.primary.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def wait_caught_up(self, timeout: float = 30) -> None:
        target = self.primary.sql("SELECT pg_current_wal_lsn()")[0][0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.replica.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0][0]
            if done:
                return
            time.sleep(0.05)
        raise TimeoutError("replica did not catch up")


def start_replicated_pair(*, log_statements: bool = False, durable: bool = False) -> ReplicatedPair:
    """initdb a primary, pg_basebackup -R a hot-standby replica from it, start both.

    ``log_statements`` logs every statement in each server's log (tests read them to see
    which server answered); ``durable=False`` turns fsync off (throwaway data)."""
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found (set PG_BIN)")
    base = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
    os.chmod(base, 0o755)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    primary = Cluster(base / "primary", free_port(), bindir)
    _run([str(bindir / "initdb"), "-D", str(primary.datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
    settings = [
        f"port = {primary.port}",
        "listen_addresses = '127.0.0.1'",
        f"unix_socket_directories = '{base}'",
        "wal_level = replica",
        "max_wal_senders = 4",
        "hot_standby = on",
        "max_connections = 200",
        "shared_buffers = 64MB",
        f"fsync = {'on' if durable else 'off'}",
        "synchronous_commit = on" if durable else "synchronous_commit = off",
        "full_page_writes = on",
        "log_line_prefix = '%m [%p] %a '",
    ]
    if log_statements:
        settings.append("log_statement = 'all'")
    with open(primary.datadir / "postgresql.conf", "a") as conf:
        conf.write("\n# hotline.testing_services\n" + "\n".join(settings) + "\n")
    with open(primary.datadir / "pg_hba.conf", "a") as hba:
        hba.write("host replication all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 trust\n")
    primary.start()
    replica = Cluster(base / "replica", free_port(), bindir)
    _run(
        [
            str(bindir / "pg_basebackup"),
            *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *("-D", str(replica.datadir), "-R", "-X", "stream", "-c", "fast"),
        ]
    )
    with open(replica.datadir / "postgresql.auto.conf", "a") as conf:
        conf.write(f"port = {replica.port}\nhot_standby_feedback = on\n")
    replica.start()
    return ReplicatedPair(base, primary, replica)


# --- gunicorn ---------------------------------------------------------------------------


@dataclass
class Web:
    port: int
    proc: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def manage(env: dict, *args: str, timeout: float = 600) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if out.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return out.stdout


def start_gunicorn(env: dict, *, workers: int = 1, threads: int = 4, log=None) -> Web:
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen(
        [
            str(gunicorn),
            "hotline.wsgi:application",
            *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)),
            *("--worker-class", "gthread", "--keep-alive", "30", "--timeout", "120"),
            "--preload",  # as deploy/gunicorn.conf.py: the master loads the app, workers fork from it
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        start_new_session=True,
    )
    web = Web(port, proc)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{web.base}/healthz", timeout=2):
                return web
        except OSError:
            time.sleep(0.2)
    web.stop()
    raise TimeoutError("gunicorn did not answer /healthz")


class Browser:
    """A cookie-keeping HTTP client that logs in through the login page (CSRF included)."""

    def __init__(self, base: str) -> None:
        import http.cookiejar

        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None):
        """(status, body) without raising on 4xx/5xx."""
        import json as _json
        import urllib.error
        from urllib.parse import urlencode

        body, hdrs = None, {"Referer": self.base + "/", **(headers or {})}
        if data is not None:
            if hdrs.get("Content-Type") == "application/json":
                body = _json.dumps(data).encode()
            else:
                body = urlencode(data).encode()
                hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookie("csrftoken"):
            hdrs.setdefault("X-CSRFToken", self.cookie("csrftoken"))
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=hdrs)
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def login(self, username: str, password: str) -> None:
        status, _ = self.request("GET", "/accounts/login/")
        token = self.cookie("csrftoken")
        status, _ = self.request(
            "POST",
            "/accounts/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": token or ""},
        )
        if self.cookie("sessionid") is None:
            raise RuntimeError(f"login as {username} failed ({status})")
