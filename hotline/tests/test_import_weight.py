"""Heavy libraries stay out of the processes that do not use them (issue 14, item 3).

Importing the web app's URLconf (every view module) or the worker's task modules must
not load scikit-learn/scipy (training, knowledge search), NumPy (knowledge search; the
classifier scores in plain Python, triage.scoring), jieba (triage.wordseg reads its
dictionary compactly), shapely (grids.polygons places orders; shapely validates saved
boundaries), openpyxl and XlsxWriter (ledger export), reportlab and qrcode (posters), Pillow (photos)
or pypinyin's dictionaries (addresses): each is imported by the function that uses it.
The worker does not load what only the web serves either: DRF's serializers, views and
renderers (with requests and pygments), drf-spectacular's schema generator, the test
client, nor Django's system checks' imports of every view (CELERY_SKIP_CHECKS), nor, when
started as deployed (hotline.celery_main), the AMQP shell of Celery's command line.
Checked in a fresh interpreter, since this test process has long imported all of them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = [
    "sklearn",
    "scipy",
    "joblib",
    "numpy",
    "jieba",
    "shapely",
    "openpyxl",
    "xlsxwriter",
    "reportlab",
    "qrcode",
    "PIL",
    "pypinyin",
]
WEB_ONLY = [
    "requests",
    "pygments",
    "rest_framework.serializers",
    "rest_framework.views",
    "rest_framework.renderers",
    "drf_spectacular.openapi",
    "django.test",
]

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
loaded = [n for n in sys.argv[2:] if any(m == n or m.startswith(n + ".") for m in sys.modules)]
print(json.dumps(sorted(loaded)))
"""


@pytest.mark.parametrize("process", ["web", "worker"])
def test_starting_a_process_does_not_import_heavy_libraries(process):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings", "DEBUG": "1", "PYTHONPATH": str(ROOT)}
    env.pop("CELERY_SKIP_CHECKS", None)  # hotline.celery sets it, as a deployed worker has it
    names = HEAVY + (WEB_ONLY if process == "worker" else BROKER_ONLY + SCHEMA_ONLY)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, process, *names], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
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


def test_a_ledger_is_written_with_xlsxwriter_not_openpyxl():
    """openpyxl took twice the CPU per row and three times the memory (web/ledger.py)."""
    script = (
        "import sys, django; django.setup();"
        "from web.ledger import ledger_workbook; from workorders.models import WorkOrder;"
        "ledger_workbook(WorkOrder.objects.none());"
        "print(sorted(n for n in ('openpyxl', 'xlsxwriter') if n in sys.modules))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings", "DEBUG": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "['xlsxwriter']"


CLI = """
import json, runpy, sys
module = sys.argv[1]
# `report`: Celery's command line loads the app and every tasks module, as `worker` does
# before it forks its pool (whose children inherit what is loaded then).
sys.argv = [module, "-A", "hotline", "report"]
try:
    runpy.run_module(module, run_name="__main__")
except SystemExit as exc:
    assert not exc.code, exc.code
loaded = sorted(n for n in ("click_repl", "prompt_toolkit") if n in sys.modules)
print(json.dumps({"loaded": loaded, "tasks": "dispatch.tasks" in sys.modules}))
"""


@pytest.mark.parametrize(("module", "shell_loaded"), [("hotline.celery_main", False), ("celery", True)])
def test_the_deployed_celery_command_does_not_load_the_amqp_shell(module, shell_loaded):
    # `celery` itself loads them (its amqp sub-command's REPL), which is why the systemd
    # units, the Procfile and `make run` start hotline.celery_main (hotline/celery_main.py).
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings", "DEBUG": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", CLI, module], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["tasks"]
    assert result["loaded"] == (["click_repl", "prompt_toolkit"] if shell_loaded else [])


def test_the_deployed_celery_command_points_to_celery_for_the_amqp_shell():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings", "DEBUG": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "hotline.celery_main", "-A", "hotline", "amqp"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert "celery -A hotline amqp" in out.stderr


# What only the worker and beat need: the web sends no broker message (the outbox relay
# in the worker wakes the drains, hotline/outbox_relay.py), so Celery, kombu and their
# dependencies (~9 MB per web worker, BENCHMARKS.md › Memory) stay out of it.
BROKER_ONLY = ["celery", "kombu", "amqp", "billiard", "click", "vine"]

# drf-spectacular's AutoSchema with the test client it imports: loaded when a schema is
# generated, not by the views that extend_schema decorates (api/schema.py).
SCHEMA_ONLY = ["drf_spectacular.openapi", "rest_framework.test", "django.test"]


def test_the_api_schema_class_gets_drf_spectacular_as_its_base_when_a_schema_is_generated():
    from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

    from api.schema import AutoSchema, schema_class_load
    from api.schema_generator import SchemaGenerator

    SchemaGenerator()  # as the schema views, `spectacular` and `check --deploy` make one
    assert issubclass(AutoSchema, SpectacularAutoSchema)
    schema_class_load()  # twice is harmless
    assert AutoSchema.__mro__.count(SpectacularAutoSchema) == 1
    # The one attribute extend_schema reads before: the same as drf-spectacular's.
    assert AutoSchema.method_mapping == SpectacularAutoSchema.method_mapping


SERVE = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from hotline.testing import build_district
district = build_district()
import hotline.wsgi  # noqa: F401
from django.urls import get_resolver
get_resolver().url_patterns
from django.test import Client
client = Client()
def get(path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
# An API intake that auto-dispatches (its routing and receipt follow-ups are recorded),
# then every role's main pages, the API lists, readiness and a ledger export to a worker.
client.force_login(district.user("operator"))
body = {"caller_phone": "13900000001", "caller_name": "张三", "title": "路口有人占道摆摊",
        "description": "每天傍晚在小区门口摆摊，影响通行。", "address": "幸福里小区东门",
        "lat": 39.905, "lng": 116.305, "category": district.cat_territorial.code}
response = client.post("/api/v1/orders", body, content_type="application/json")
assert response.status_code == 201, response.content
number = response.json()["number"]
from workorders.models import FollowUp
assert FollowUp.objects.filter(state="pending").exists()  # recorded, for the relay to find
pages = {
    "operator": ["/ops/", "/ops/submissions/", "/ops/callbacks/", f"/orders/{number}/"],
    "dispatcher": ["/desk/"],
    "handler_a": ["/unit/"],
    "handler_community_a": ["/unit/"],
    "handler_dept": ["/unit/"],
    "grid_worker_a": ["/patrol/mine/", "/patrol/"],
    "supervisor": ["/dashboard/", "/orders/?figure=volume", "/orders/?figure=overdue"],
}
for user, paths in pages.items():
    client.force_login(district.user(user))
    for path in paths + ["/api/v1/orders/queue", "/api/v1/orders"]:
        get(path)
import web.exports
web.exports.INLINE_ROWS = 0  # this one ledger is "large": asked for, written by a worker
client.force_login(district.user("supervisor"))
response = client.post("/orders/export.xlsx?figure=volume")  # the list's export form posts
assert response.status_code == 302, response.status_code
from web.models import LedgerExport
assert LedgerExport.objects.filter(state="pending").count() == 1
client.get("/readyz")
loaded = [n for n in sys.argv[1:] if any(m == n or m.startswith(n + ".") for m in sys.modules)]
print(json.dumps(sorted(loaded)))
"""


def test_the_web_serving_its_pages_and_an_intake_loads_no_celery_or_broker_client(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hotline.settings",
        "DEBUG": "1",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
        "HOTLINE_VAR_DIR": str(tmp_path),
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)  # as deployed: a worker runs the follow-ups
    out = subprocess.run(
        [sys.executable, "-c", SERVE, *BROKER_ONLY], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_worker_still_loads_celery_and_every_task():
    # The other side of the test above: the app and the tasks are where they run.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings", "DEBUG": "1", "PYTHONPATH": str(ROOT)}
    script = SCRIPT.replace('if sys.argv[1] == "web":', "if False:")
    out = subprocess.run(
        [sys.executable, "-c", script, "worker", "celery", "kombu", "dispatch.tasks", "triage.tasks", "web.tasks"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == sorted(
        ["celery", "kombu", "dispatch.tasks", "triage.tasks", "web.tasks"]
    )
