"""考核 at scale: the monthly assessment and a what-if re-ranking over 1,000,000 orders.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hotline_gov_bench \\
        .venv/bin/python bench/dashboard_load.py --orders 1000000 --days 31   # once
    BENCH_DATABASE_URL=... .venv/bin/python bench/governance_bench.py --repeat 3

The loader puts all 1,000,000 orders in the last 31 days, so one assessment period holds
every one of them. This script migrates (the governance tables), tops the data up with
what the assessment reads beyond the dashboard's rows (a dispatch event per order, a
return for 3 % of them, 1,000 approved exclusions and 500 upheld appeals, so the
left-out anti-joins run at size), then times through the real services:

- the monthly 考核: ``governance.services.report_draft`` for the district (every street's
  figures, scores and ranking, frozen into a report row) — goal ≤ 30 s;
- the what-if: ``governance.scoring.compare`` of two schemes over the same period —
  goal ≤ 10 s;
- the click-through list behind one street's response figure (count).

Prints the figures and writes bench/results/governance.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotline_gov_bench")

TOP_UP_SQL = """
INSERT INTO workorders_event (order_id, seq, kind, actor_role, from_status, to_status, note, payload, created_at)
SELECT id, 10, 'assign', 'system', 'accepted', 'assigned', '', jsonb_build_object('unit', lead_unit_id),
       created_at + interval '1 minute'
FROM workorders_workorder WHERE number LIKE 'B%%';
INSERT INTO workorders_event (order_id, seq, kind, actor_role, from_status, to_status, note, payload, created_at)
SELECT id, 11, 'return', 'handler', 'assigned', 'returned', '退单',
       jsonb_build_object('reason', 'not_territory', 'from_unit', lead_unit_id, 'return_count', 1),
       created_at + interval '5 minutes'
FROM workorders_workorder WHERE number LIKE 'B%%' AND id %% 33 = 0;
"""


def setup_django() -> None:
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    import django

    django.setup()


def top_up() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from governance.models import Appeal, Exclusion
    from grids.models import OrgUnit
    from workorders.models import Deadline, Event, WorkOrder

    with connection.cursor() as cur:
        if not Event.objects.filter(kind="assign", order__number__startswith="B").exists():
            t = time.perf_counter()
            cur.execute(TOP_UP_SQL, {})
            cur.execute("ANALYZE workorders_event")
            print(f"dispatch and return events added in {time.perf_counter() - t:.0f}s", flush=True)
    user = get_user_model().objects.filter(is_superuser=False).order_by("pk").first()
    now = timezone.now()
    if not Exclusion.objects.exists():
        ids = WorkOrder.objects.filter(number__startswith="B", pk__gt=0).values_list("pk", "lead_unit_id")[:1000]
        Exclusion.objects.bulk_create(
            Exclusion(
                order_id=pk,
                reason="malicious",
                note="bench",
                state="approved",
                unit=OrgUnit.objects.get(pk=unit),
                requested_by=user,
                requested_at=now,
                decided_by=user,
                decided_at=now,
            )
            for pk, unit in ids
        )
    if not Appeal.objects.exists():
        rows = Deadline.objects.filter(state="breached", order__number__startswith="B").values_list(
            "pk", "order_id", "unit_id"
        )[:500]
        Appeal.objects.bulk_create(
            Appeal(
                order_id=o,
                unit_id=u,
                target="breach",
                deadline_id=d,
                reason="bench",
                state="upheld",
                filed_by=user,
                filed_at=now,
                decided_by=user,
                decided_at=now,
            )
            for d, o, u in rows
        )


def timed(fn, repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    top_up()

    from governance.figures import orders_behind_score
    from governance.models import Scheme
    from governance.scoring import compare, figures_cached
    from governance.services import _snapshot, scheme_save_version
    from grids.models import OrgUnit
    from workorders.models import WorkOrder

    a = Scheme.objects.filter(code="bench-a").first() or scheme_save_version(
        code="bench-a",
        name="基准方案A",
        unit_kind="street",
        weights={"response": 20, "on_time": 20, "resolution": 20, "satisfaction": 30, "reopen": 5, "return": 5},
    )
    b = Scheme.objects.filter(code="bench-b").first() or scheme_save_version(
        code="bench-b",
        name="基准方案B",
        unit_kind="street",
        weights={"satisfaction": 60, "response": 40},
        activate=False,
    )
    now = timezone.now()
    start, end = now - timedelta(days=32), now + timedelta(minutes=1)
    in_period = WorkOrder.objects.filter(created_at__gte=start, created_at__lt=end).count()
    print(f"orders in the period: {in_period}", flush=True)

    # The report's work without writing a row per repeat: _snapshot is what report_draft stores.
    monthly, snap = timed(lambda: _snapshot(a, start, end, None, now), args.repeat)
    whatif, rows = timed(lambda: compare(a=a, b=b, start=start, end=end, now=now), args.repeat)
    # As on the pages: the score page computed the period's figures (cached briefly), the
    # what-if then only re-weights and re-ranks them.
    figures_cached(start=start, end=end, kind=a.unit_kind, now=now)
    warm, _rows = timed(lambda: compare(a=a, b=b, start=start, end=end, now=now, cached=True), args.repeat)
    street = OrgUnit.objects.get(pk=snap["rows"][0]["unit"])
    listing, n = timed(
        lambda: orders_behind_score(
            start=start, end=end, unit=street, indicator="response", part="all", now=now
        ).count(),
        args.repeat,
    )
    result = {
        "orders_in_period": in_period,
        "streets_ranked": snap["units_ranked"],
        "monthly_assessment_s": {"median": statistics.median(monthly), "max": max(monthly), "runs": monthly},
        "what_if_s": {"median": statistics.median(whatif), "max": max(whatif), "runs": whatif},
        "what_if_after_score_page_s": {"median": statistics.median(warm), "max": max(warm)},
        "click_through_count_s": {"median": statistics.median(listing), "orders": n},
        "goals_s": {"monthly_assessment": 30, "what_if": 10},
        "load_average": os.getloadavg(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "database": URL.rsplit("/", 1)[1],
    }
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    out = ROOT / "bench" / "results" / "governance.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    assert len(rows) == snap["units_ranked"] or rows  # the two rankings cover the same streets


if __name__ == "__main__":
    main()
