"""`make run` started in the background (SIGINT ignored, as a shell does for `cmd &`)
still stops on SIGINT, with its web server, worker and beat."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_runall_stops_on_sigint_even_when_started_with_sigint_ignored(tmp_path):
    env = {**os.environ, "HOTLINE_VAR_DIR": str(tmp_path), "DEBUG": "1"}
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)  # its own SQLite file and filesystem broker under tmp_path
    proc = subprocess.Popen(
        [sys.executable, "scripts/runall.py", "--port", str(_free_port())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        for line in proc.stdout:
            if "Hotline is running" in line or time.monotonic() > deadline:
                break
        time.sleep(2)
        assert proc.poll() is None, "runall exited early"
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    # No child left behind: the process group empties (children stopping under a loaded
    # machine may take a few seconds to be reaped; one still there after 15 s survived).
    alive = True
    deadline = time.monotonic() + 15
    while alive and time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
            time.sleep(0.5)
        except ProcessLookupError:
            alive = False
    assert not alive, "a child of runall survived"
