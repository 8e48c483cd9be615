"""deploy/backup.sh and deploy/restore.sh on a real PostgreSQL: a district's history
written through the services survives dump and restore into a new database, every
order replays from its events there, and every table has the same rows."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from PIL import Image

from attachments.processing import attachments_process_waiting
from attachments.services import attachment_add
from dashboards.rollup import rollup_rebuild
from dashboards.tests.test_rollup import History
from dispatch.retention import retention_anonymise_expired

ROOT = Path(settings.BASE_DIR)
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def url_for(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def restored_name():
    name = f"{connection.settings_dict['NAME']}_restored"
    admin = psycopg2.connect(url_for("postgres"))
    admin.autocommit = True

    def drop():
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    drop()
    yield name
    drop()
    admin.close()


def replay_check(url: str) -> dict:
    out = subprocess.run(
        [sys.executable, "manage.py", "replay_check"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_backup_restores_into_a_new_database_that_replays_with_the_same_rows(
    district, log_call, restored_name, tmp_path, settings
):
    var = tmp_path / "var"
    settings.MEDIA_ROOT = var / "media"
    history = History(district, log_call)
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buf, "PNG")
    photo = attachment_add(
        order=history.orders[2], upload=SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")
    )
    # Processed here, not by whichever nudge happens to run it first (the raw upload is
    # deleted when processing commits): the backup then holds the served, re-encoded file.
    with transaction.atomic():
        attachments_process_waiting(order_id=photo.order_id)
    photo.refresh_from_db()
    assert photo.state == photo.State.READY
    retention_anonymise_expired(days=15)  # the anonymised history is part of what is restored
    rollup_rebuild()
    source = replay_check(url_for(connection.settings_dict["NAME"]))
    assert source["orders"] == 12 and not source["mismatches"]

    prefix = tmp_path / "backups" / "hotline"
    env = {**os.environ, "DATABASE_URL": url_for(connection.settings_dict["NAME"]), "HOTLINE_VAR_DIR": str(var)}
    subprocess.run(["sh", "deploy/backup.sh", str(prefix)], cwd=ROOT, env=env, check=True, capture_output=True)
    assert prefix.with_suffix(".dump").stat().st_size > 0

    restored_var = tmp_path / "restored-var"
    out = subprocess.run(
        ["sh", "deploy/restore.sh", str(prefix)],
        cwd=ROOT,
        env={
            **os.environ,
            "TARGET_URL": url_for(restored_name),
            "HOTLINE_VAR_DIR": str(restored_var),
            "PYTHON": sys.executable,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    restored = json.loads(out.stdout.strip().splitlines()[-1])  # restore.sh ends with replay_check
    assert restored["mismatches"] == [] and restored["orders"] == 12
    assert restored["counts"] == source["counts"]
    assert source["counts"]["workorders_event"] > 12 and source["counts"]["attachments_attachment"] == 1
    assert (restored_var / "media" / photo.file.name).read_bytes() == Path(photo.file.path).read_bytes()

    # restoring over an existing database is refused, never a silent merge
    again = subprocess.run(
        ["sh", "deploy/restore.sh", str(prefix)],
        cwd=ROOT,
        env={**os.environ, "TARGET_URL": url_for(restored_name), "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode != 0 and "already exists" in again.stderr
