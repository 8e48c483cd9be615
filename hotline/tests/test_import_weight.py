"""Heavy libraries stay out of the processes that do not use them (issue 14, item 3).

Importing the web app's URLconf (every view module) or the worker's task modules must
not load scikit-learn/scipy (the classifier, knowledge search), openpyxl (ledger
export), reportlab and qrcode (posters), Pillow (photos) or pypinyin's dictionaries
(addresses): each is imported by the function that uses it. Checked in a fresh
interpreter, since this test process has long imported all of them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["sklearn", "scipy", "joblib", "openpyxl", "reportlab", "qrcode", "PIL", "pypinyin"]

SCRIPT = """
import json, sys
import django
django.setup()
if sys.argv[1] == "web":
    import hotline.wsgi  # noqa: F401
    from django.urls import get_resolver
    get_resolver().url_patterns  # imports every view module
else:
    from hotline.celery import app
    app.loader.import_default_modules()  # what a worker imports at start: every tasks module
    app.finalize()
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2:]))))
"""


@pytest.mark.parametrize("process", ["web", "worker"])
def test_starting_a_process_does_not_import_heavy_libraries(process):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings", "DEBUG": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, process, *HEAVY], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_address_keys_do_not_load_pypinyins_phrase_dictionary():
    script = (
        "from grids.address_text import pinyin_key; import sys; pinyin_key('重庆路');"
        "print('pypinyin.phrases_dict' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYPINYIN_NO_PHRASES", None)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"
