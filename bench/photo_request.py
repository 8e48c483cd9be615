"""What a photo costs the web request, before and after issue #9 item 9 moved decoding
to the worker: per upload, the request's work now (attachment_check: type, size and
pixel count from the header) against what it did before on top of that (decode, apply
the EXIF orientation, encode again: attachments.processing._without_metadata, which the
worker now runs). Measured in one process, in the same run, as time and traced memory
peak per upload (Python allocations only: Pillow's pixel buffers are outside
tracemalloc, so the decoded size w × h × 3 is given alongside), for a 12-megapixel JPEG
with EXIF; and the time to refuse a 49-megapixel PNG bomb from its header.

    DEBUG=1 .venv/bin/python bench/photo_request.py     # writes bench/results/photo_request.json

No database or services needed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _measure(fn, repeat: int) -> dict:
    times, peaks = [], []
    for _ in range(repeat):
        tracemalloc.start()
        started = time.perf_counter()
        with contextlib.suppress(Exception):  # a refusal is the expected outcome for the bomb
            fn()
        times.append(time.perf_counter() - started)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return {"median_ms": round(statistics.median(times) * 1000, 2), "peak_mb": round(max(peaks) / 2**20, 2)}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from attachments.processing import _without_metadata
    from attachments.services import attachment_check
    from attachments.tests.test_attachments import _exif_with_gps_and_rotation, _png_claiming
    from hotline.testing import image_bytes

    bomb = _png_claiming(7000, 7000)
    refused = _measure(lambda: attachment_check(upload=SimpleUploadedFile("p", bomb), field="photo"), 5)
    print(f"bomb_png_49mp ({len(bomb)} bytes): refused from the header in {refused['median_ms']} ms")
    photos = {
        "photo_jpeg_12mp": (image_bytes("JPEG", size=(4000, 3000), exif=_exif_with_gps_and_rotation()), "image/jpeg"),
    }
    results = {"bomb_png_49mp": {"bytes": len(bomb), "refused_on_request": refused}}
    for name, (data, content_type) in photos.items():
        now = _measure(lambda d=data: attachment_check(upload=SimpleUploadedFile("p", d), field="photo"), 5)
        before = _measure(lambda d=data, c=content_type: _without_metadata(io.BytesIO(d), c), 3)
        results[name] = {
            "bytes": len(data),
            "decoded_mb": round(4000 * 3000 * 3 / 2**20, 1),
            "request_now": now,
            "decode_reencode_moved_to_worker": before,
            "time_ratio": round(before["median_ms"] / max(now["median_ms"], 0.01), 1),
            "memory_ratio": round(before["peak_mb"] / max(now["peak_mb"], 0.01), 1),
        }
        print(
            f"{name}: request now {now['median_ms']} ms / {now['peak_mb']} MB; "
            f"decode+re-encode (now in the worker) {before['median_ms']} ms / {before['peak_mb']} MB; "
            f"×{results[name]['time_ratio']} time; the decoded pixels alone are {results[name]['decoded_mb']} MB"
        )
    out = ROOT / "bench" / "results" / "photo_request.json"
    out.write_text(
        json.dumps(
            {"machine": platform.platform(), "load": os.getloadavg(), "results": results}, ensure_ascii=False, indent=2
        )
        + "\n"
    )
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
