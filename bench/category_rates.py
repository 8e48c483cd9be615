"""The dashboard's rates per category, live and from the roll-up, on a bench database:
median of 5 calls each, district and street S01, 30 days to today, the page's
categories; asserts the two give the same figures.

    .venv/bin/python bench/category_rates.py hotline_perf_1m
"""

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{sys.argv[1]}"
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.page_settings"

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from dashboards import breakdown as bd  # noqa: E402
from dashboards import rolled as rb  # noqa: E402
from dashboards import selectors as ds  # noqa: E402
from dashboards.rollup import day_start  # noqa: E402
from grids.models import OrgUnit  # noqa: E402


def median_ms(f, *args, **kwargs) -> float:
    times = []
    for _ in range(5):
        t = time.perf_counter()
        f(*args, **kwargs)
        times.append((time.perf_counter() - t) * 1000)
    return sorted(times)[2]


def main() -> None:
    today, now = timezone.localdate(), timezone.now()
    for unit in (None, OrgUnit.objects.get(code="S01")):
        scope = ds.Scope(day_start(today - timedelta(days=29)), day_start(today + timedelta(days=1)), unit)
        cats = [c["category_id"] for c in rb.category_volumes(scope, now=now)]
        live = median_ms(bd.category_rates, scope, cats)
        rolled = median_ms(bd.category_rates_rolled, scope, cats, now=now)
        assert bd.category_rates(scope, cats) == bd.category_rates_rolled(scope, cats, now=now)
        print(f"{unit.code if unit else 'district'}: live {live:.1f} ms, rolled {rolled:.1f} ms (equal)")


if __name__ == "__main__":
    main()
