"""What the navigation's waiting counts (公众诉求, 回访, 派单台) cost a page (issue #12, item 15).

Each counter is one COUNT, cached NAV_COUNT_SECONDS (web/nav_counts.py). Measured over
the demo district: the three counts computed (cache empty) against read from the cache,
and the operator console rendered with cold and warm counters.

    export DEBUG=1 HOTLINE_VAR_DIR=/tmp/navbench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python bench/nav_counts.py          # writes bench/results/nav_counts.json
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402

from web.nav_counts import nav_count  # noqa: E402

REPS = 200  # the counts alone
PAGE_REPS = 30  # whole pages


def _ms(samples: list[float]) -> dict:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95)]
    return {"p50": round(statistics.median(samples) * 1000, 3), "p95": round(p95 * 1000, 3)}


def timed(fn, *, cold: bool, reps: int = REPS) -> dict:
    out = []
    for _ in range(reps):
        if cold:
            cache.clear()
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return _ms(out)


def main() -> None:
    users = get_user_model().objects
    operator, dispatcher = users.get(username="operator"), users.get(username="dispatcher")

    def counts():
        nav_count("web:submissions", operator)
        nav_count("web:callbacks", operator)
        nav_count("web:desk", dispatcher)

    client = Client()
    results = {"reps": REPS, "load": os.getloadavg()[0]}
    results["three_counts_cold"] = timed(counts, cold=True)
    results["three_counts_cached"] = timed(counts, cold=False)
    # The console: a light page, where the counters' share shows most.
    client.force_login(operator)
    client.get("/ops/")
    results["console_page_cold_counts"] = timed(lambda: client.get("/ops/"), cold=True, reps=PAGE_REPS)
    results["console_page_cached_counts"] = timed(lambda: client.get("/ops/"), cold=False, reps=PAGE_REPS)
    out = ROOT / "bench" / "results" / "nav_counts.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
