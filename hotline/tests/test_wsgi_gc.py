"""The WSGI module freezes what it loaded, so the collector never walks it again (issue 14)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_loading_the_wsgi_application_freezes_the_objects_it_made():
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "hotline.settings"}
    code = "import gc, hotline.wsgi; print(gc.get_freeze_count())"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout.strip().splitlines()[-1]) > 10_000
