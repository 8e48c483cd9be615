"""gunicorn's master loads the app and the workers fork from it (deploy/gunicorn.conf.py,
preload_app; issue 14, item 3: the workers share the modules' pages). That is safe only if
loading the app, as the master does, leaves nothing a fork must not share: no open
database connection (two workers would talk on one socket), no broker connection, no
thread (it would not exist in the workers, and a lock it held would stay held there)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MASTER = """
import json, sys, threading
sys.argv = ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
from gunicorn.app.wsgiapp import WSGIApplication
app = WSGIApplication()  # reads deploy/gunicorn.conf.py, as `gunicorn -c` does
assert app.cfg.preload_app
app.wsgi()  # what the arbiter calls in the master when preload_app is on, before forking
from django.db import connections
from hotline.celery import app as celery_app
print(json.dumps({
    "preload": app.cfg.preload_app,
    "open_db": [c.alias for c in connections.all(initialized_only=True) if c.connection is not None],
    "broker_pool": celery_app._pool is not None,
    "threads": sorted(t.name for t in threading.enumerate()),
}))
"""


def test_the_master_loads_the_app_and_shares_no_connection_or_thread_with_its_workers():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings", "DEBUG": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", MASTER], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"preload": True, "open_db": [], "broker_pool": False, "threads": ["MainThread"]}
