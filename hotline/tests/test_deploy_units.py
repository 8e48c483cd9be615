"""The systemd units' command lines, expanded as systemd expands them (deploy/smoke.py's
unit_command, which CI's smoke starts), are accepted by the programs they start."""

import importlib.util
import socket
from pathlib import Path

from celery.utils.nodenames import default_nodename, host_format

ROOT = Path(__file__).resolve().parents[2]


def _smoke():
    spec = importlib.util.spec_from_file_location("hotline_smoke", ROOT / "deploy" / "smoke.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_systemd_specifiers_are_expanded_as_systemd_does(tmp_path):
    smoke = _smoke()
    for unit in ("hotline-web.service", "hotline-worker.service", "hotline-beat.service"):
        command = smoke.unit_command(unit, tmp_path)
        assert "%%" not in " ".join(command), unit


def test_the_worker_units_node_name_is_one_celery_accepts(tmp_path):
    # `-n worker@%%H` reached Celery as worker@%H, which it refuses ("Unknown format %H"):
    # the worker never started under systemd.
    command = _smoke().unit_command("hotline-worker.service", tmp_path)
    name = command[command.index("-n") + 1]
    assert host_format(default_nodename(name)) == f"worker@{socket.gethostname()}"
