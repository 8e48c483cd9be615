"""Photos processed by a real Celery worker on PostgreSQL + Redis, after an 8-request
burst of pixel bombs and 12-megapixel photos sent at once to the anonymous API. The web
side (this process, 8 threads) must never decode a pixel; the worker (a subprocess)
re-encodes every accepted photo exactly once, and nothing is served before it has."""

from __future__ import annotations

import io
import threading
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image
from rest_framework.test import APIClient

from attachments.models import Attachment
from attachments.services import PROCESS_TASK
from attachments.tests import test_processing
from attachments.tests.test_attachments import _exif_with_gps_and_rotation, _png_claiming
from dispatch.tests import test_outbox_workers
from dispatch.tests.test_workers import wait_for
from hotline.testing import image_bytes
from workorders.models import FollowUp, WorkOrder

# The outbox suite's real-process fixtures and the no-decoding guard, shared by name.
broker, procs = test_outbox_workers.broker, test_outbox_workers.procs
no_decoding = test_processing.no_decoding

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FORM = {"title": "路灯不亮", "description": "小区门口路灯坏了三天", "caller_phone": "13812345678"}
# The request's own Python allocations for the whole burst (form parsing, upload
# buffers): below what one 12 MP photo's pixels take decoded (36 MB of RGB). Pillow's
# pixel buffers are not seen by tracemalloc: the decoder guard is what proves no
# request decodes; this bound keeps the rest of the request path small.
PEAK_BYTES = 36 * 2**20


@pytest.mark.parametrize("broker", ["redis"], indirect=True)
def test_a_burst_of_bombs_and_big_photos_is_checked_on_the_request_and_processed_by_the_worker(
    district,
    procs,
    broker,
    no_decoding,
    settings,
    tmp_path,
    monkeypatch,
):
    settings.MEDIA_ROOT = tmp_path / "media"  # the worker's (HOTLINE_VAR_DIR=tmp_path)
    big = image_bytes("JPEG", size=(4000, 3000), exif=_exif_with_gps_and_rotation())
    bomb = _png_claiming(7000, 7000)
    photos = [bomb, big] * 4
    answers: list[int | None] = [None] * len(photos)
    start = threading.Barrier(len(photos))

    def send(i: int) -> None:
        try:
            start.wait()
            r = APIClient(REMOTE_ADDR=f"10.0.0.{i + 1}").post(
                "/api/v1/public/requests", {**FORM, "photo": SimpleUploadedFile("p", photos[i])}, format="multipart"
            )
            answers[i] = r.status_code
        finally:
            connection.close()

    tracemalloc.start()
    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(photos))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"8-request burst (4 bombs of 49 MP, 4 photos of 12 MP): traced peak {peak / 2**20:.1f} MB")
    assert answers == [400, 201] * 4
    assert no_decoding == [], "a request decoded a photo"
    assert peak < PEAK_BYTES, f"the burst peaked at {peak / 2**20:.1f} MB"
    assert WorkOrder.objects.count() == 4
    accepted = list(Attachment.objects.order_by("pk"))
    assert [a.state for a in accepted] == ["processing"] * 4
    assert FollowUp.objects.filter(task=PROCESS_TASK, state="pending").count() == 4

    broker.wipe()  # the nudges are lost: only the outbox rows know; beat sweeps them
    monkeypatch.undo()  # this process reads the results back
    procs.worker("w1")
    procs.beat()
    wait_for(lambda: not Attachment.objects.filter(state="processing").exists(), 180, "every photo to be processed")
    wait_for(lambda: not FollowUp.objects.filter(task=PROCESS_TASK).exclude(state="done").exists(), 30, "rows done")
    for attachment in Attachment.objects.all():
        assert attachment.state == "ready" and attachment.file.name.endswith(".jpg")
        with Image.open(io.BytesIO(attachment.file.read())) as kept:
            assert not kept.getexif() and kept.size == (3000, 4000)
    assert not list((tmp_path / "media" / "attachments" / "incoming").iterdir()), "a raw file was left"
    assert FollowUp.objects.filter(task=PROCESS_TASK).count() == 4


def test_a_photo_added_while_a_worker_runs_the_orders_row_gets_a_second_run(
    district, log_call, settings, tmp_path, monkeypatch
):
    """The run in progress cannot see the new photo (not committed when it started):
    the upload waits for that run's row and sets it pending again, so nothing is left
    ``processing`` with its row done."""
    from attachments.processing import attachments_process_waiting
    from attachments.services import attachment_add
    from hotline.testing import photos_process
    from workorders import outbox
    from workorders.outbox import follow_ups_drain

    # The worker thread below is the only worker. Unit tests run tasks eagerly, so once
    # the Celery app is finalized (any earlier test that reads app.tasks registers
    # attachments.process) an upload's after-commit nudge would drain the row in the
    # uploading thread itself: the first photo done before the worker starts, the
    # second processed before the row could be seen pending again. Record nudges instead.
    nudged: list[str] = []
    monkeypatch.setattr(outbox, "follow_ups_nudge", lambda *, tasks: nudged.extend(tasks))
    settings.MEDIA_ROOT = tmp_path
    png = image_bytes("PNG", size=(8, 8))
    order = log_call()
    attachment_add(order=order, upload=SimpleUploadedFile("a.png", png))
    entered, release, added = threading.Event(), threading.Event(), {}

    def slow_run(order_id: int, event_id: int) -> None:
        attachments_process_waiting(order_id=order_id)
        entered.set()
        assert release.wait(30)

    def worker() -> None:
        try:
            follow_ups_drain(task=PROCESS_TASK, handler=slow_run)
        finally:
            connection.close()

    def upload() -> None:
        try:
            added["b"] = attachment_add(order=order, upload=SimpleUploadedFile("b.png", png))
        finally:
            connection.close()

    run = threading.Thread(target=worker)
    run.start()
    assert entered.wait(30)
    second = threading.Thread(target=upload)
    second.start()
    second.join(0.5)
    assert second.is_alive(), "the upload should wait for the running row"
    release.set()
    run.join(30)
    second.join(30)
    row = FollowUp.objects.get(task=PROCESS_TASK)
    if row.state == FollowUp.State.DONE:
        # The worker's drain looked again after the upload committed and ran the pending
        # row a second time (a race the machine's load decides): then the new photo must
        # be processed too — done never leaves a photo "processing".
        assert set(Attachment.objects.values_list("state", flat=True)) == {"ready"}
    else:
        assert row.state == FollowUp.State.PENDING
    # (Names of an earlier test's uncommitted follow-ups may ride along with the first.)
    assert nudged.count(PROCESS_TASK) == 2, "each upload should nudge the photo worker after commit"
    photos_process()
    assert set(Attachment.objects.values_list("state", flat=True)) == {"ready"}
