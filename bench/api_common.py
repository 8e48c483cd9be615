"""Shared pieces of the API benchmarks: a PostgreSQL database of their own, gunicorn
started and stopped around the run, wrk, a paced client, percentiles."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on now (the kernel's pick), so benches can run side by side."""
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# BENCH_PORT fixes gunicorn's port; by default each run takes a free one. Benches with a
# --port flag set it through set_port() before starting gunicorn.
PORT = int(os.environ.get("BENCH_PORT") or 0) or free_port()


def set_port(port: int) -> None:
    global PORT
    PORT = port


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.api_settings")
    import django

    django.setup()


def recreate_database(database_url: str) -> None:
    import psycopg2

    url = urlsplit(database_url)
    name = url.path.lstrip("/")
    conn = psycopg2.connect(
        dbname="postgres", user=url.username or "postgres", host=url.hostname, port=url.port or 5432
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def ensure_database(database_url: str) -> bool:
    """Create the database if missing; True if it already existed."""
    import psycopg2

    url = urlsplit(database_url)
    name = url.path.lstrip("/")
    conn = psycopg2.connect(
        dbname="postgres", user=url.username or "postgres", host=url.hostname, port=url.port or 5432
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        existed = bool(cur.fetchone())
        if not existed:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return existed


class Gunicorn:
    def __init__(
        self,
        database_url: str,
        workers: int,
        threads: int,
        env: dict | None = None,
        worker_class: str = "gthread",
        *,
        preload: bool = False,
    ) -> None:
        self.cmd = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "hotline.wsgi:application",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            worker_class,
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
            # One listening socket per worker (SO_REUSEPORT), so the kernel spreads the
            # connections over the workers. With one shared socket a gthread worker
            # accepts every connection wrk opens at once and the other worker idles.
            "--reuse-port",
        ]
        if preload:
            # deploy/gunicorn.conf.py's preload_app: the master imports the app, the workers fork from it.
            self.cmd.append("--preload")
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "bench.api_settings",
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        # A SIGTERM (e.g. from `timeout`) must still stop gunicorn, which runs in its own
        # session: turn it into SystemExit so __exit__ runs.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode} (port {PORT} in use?)")
            try:
                conn = http.client.HTTPConnection(HOST, PORT, timeout=2)
                conn.request("GET", "/bench/bare")
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def wrk(path: str, *, seconds: int, connections: int, threads: int = 1, script: str | None = None) -> dict:
    """Closed-loop maximum throughput with wrk; returns rps, latency percentiles, errors."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", f"http://{HOST}:{PORT}{path}"]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    latency = dict(re.findall(r"\s+(50|75|90|99)%\s+([\d.]+\w+)", out))
    return {
        "requests": total,
        "rps": rps,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
        "latency": latency,
        "raw": out,
    }


def paced(method: str, path: str, *, rate: float, seconds: float, headers: dict, body_for, workers: int = 16) -> dict:
    """Open-loop load at a fixed rate: request i is due at t0 + i/rate, and its latency
    counts from that due time (so a stalled server cannot hide its queueing)."""
    total = int(rate * seconds)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(total))
    t0 = time.perf_counter() + 0.2

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                body = body_for(i)
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except Exception as exc:  # noqa: BLE001 - count every failure
                conn.close()
                conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
                with lock:
                    errors.append(repr(exc))
                continue
            elapsed = (time.perf_counter() - due) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "target_rate": rate,
        "achieved_rate": round(len(latencies) / wall, 1),
        "requests": len(latencies),
        "statuses": statuses,
        "errors": len(errors),
        **percentiles(latencies),
    }


def percentiles(ms: list[float]) -> dict:
    if not ms:
        return {}
    values = sorted(ms)

    def p(q: float) -> float:
        return round(values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))], 1)

    return {"p50_ms": p(50), "p95_ms": p(95), "p99_ms": p(99), "max_ms": round(values[-1], 1)}


def write_result(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return path
