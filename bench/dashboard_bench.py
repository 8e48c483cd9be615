"""Dashboard latency at scale: p50/p95 of the supervisor's pages.

    .venv/bin/python bench/dashboard_load.py --orders 1000000   # once (≈ minutes)
    .venv/bin/python bench/dashboard_bench.py --repeat 10

Renders the real views through Django's test client (URL routing, scope parsing, every
query, template rendering; no network) as a center supervisor, for every period the
page offers by day/week/month, for the district and one street, and the lists behind
the figures; times the selectors alone (live reference and roll-up-backed) and the
beat task's re-roll. Prints the figures and writes bench/results/dashboard.json.
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
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotline_bench_web")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    os.environ.setdefault("DEBUG", "1")  # as before DEBUG became off by default
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from dashboards import rolled as rb
    from dashboards import selectors as ds
    from dashboards.models import RollupState
    from dashboards.rollup import rollup_refresh
    from grids.models import Membership, OrgUnit, Role, UnitKind
    from workorders.models import Deadline, Event, WorkOrder

    load_at_start = os.getloadavg()
    orders = WorkOrder.objects.count()
    events = Event.objects.count()
    deadlines = Deadline.objects.count()
    center = OrgUnit.objects.filter(kind=UnitKind.CENTER).first()
    user, _ = get_user_model().objects.get_or_create(username="bench_supervisor")
    Membership.objects.get_or_create(user=user, unit=center, role=Role.SUPERVISOR)
    street = OrgUnit.objects.filter(kind=UnitKind.STREET).order_by("code").first()
    client = Client()
    client.force_login(user)
    today = timezone.localdate()

    configs = []
    # every period the page offers, by day/week/month, for the district and one street
    for days in (7, 30, 90, 365):
        start = (today - timedelta(days=days - 1)).isoformat()
        for bucket in ("day", "week", "month"):
            for label, unit in (("all", {}), ("street", {"unit": street.pk})):
                params = {"start": start, "end": today.isoformat(), "bucket": bucket, **unit}
                configs.append((f"dashboard {days}d {bucket} {label}", "/dashboard/", params))
    start30 = (today - timedelta(days=29)).isoformat()
    configs += [
        ("dashboard 30d weekly+overdue map", "/dashboard/", {"start": start30, "bucket": "week", "measure": "overdue"}),
        ("orders behind satisfaction 30d", "/orders/", {"start": start30, "figure": "satisfaction", "part": "num"}),
        (
            "orders behind satisfaction 30d street",
            "/orders/",
            {"start": start30, "figure": "satisfaction", "part": "num", "unit": street.pk},
        ),
        ("orders behind response 30d", "/orders/", {"start": start30, "figure": "response", "part": "all"}),
        ("orders received 30d", "/orders/", {"start": start30, "figure": "volume"}),
        ("orders overdue", "/orders/", {"start": start30, "figure": "overdue"}),
    ]
    from django.conf import settings
    from django.core.cache import cache

    results = {}
    all_dashboard = {"cold": [], "cached": []}
    for mode, seconds in (("cold", 0), ("cached", 120)):
        # cold: every request computes every figure (the board cache switched off);
        # cached: the board cache on, as deployed (the first request of each scope fills it).
        settings.HOTLINE_DASHBOARD_CACHE_SECONDS = seconds
        cache.clear()
        print(f"-- {mode}")
        for name, path, params in configs:
            client.get(path, params)  # warm plans/templates (and, when on, the board cache)
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                response = client.get(path, params)
                times.append(time.perf_counter() - t)
                assert response.status_code == 200, (name, response.status_code)
            if path == "/dashboard/":
                all_dashboard[mode].extend(times)
            r = {"p50_ms": round(1000 * statistics.median(times), 1), "p95_ms": round(1000 * pct(times, 95), 1)}
            results[f"{mode}: {name}"] = r
            print(f"{name:<36} p50 {r['p50_ms']:>8.1f} ms   p95 {r['p95_ms']:>8.1f} ms")
    settings.HOTLINE_DASHBOARD_CACHE_SECONDS = 0

    now = timezone.now()
    scope30 = ds.Scope(now - timedelta(days=30), now)
    scope365 = ds.Scope(now - timedelta(days=365), now)
    parts = {
        "live summary 30d": lambda: ds.summary(scope30),
        "live summary 365d": lambda: ds.summary(scope365),
        "live unit_ranking 30d": lambda: ds.unit_ranking(scope30),
        "live hotspots 365d": lambda: ds.hotspots(scope365),
        "rolled summary 30d": lambda: rb.summary(scope30),
        "rolled summary 365d": lambda: rb.summary(scope365),
        "rolled unit_ranking 365d": lambda: rb.unit_ranking(scope365),
        "rolled category_volumes 365d": lambda: rb.category_volumes(scope365),
        "rolled trend 365d day": lambda: rb.trend(scope365),
        "rolled grid_figures 365d": lambda: rb.grid_figures(scope365),
        "rolled hotspots 365d": lambda: rb.hotspots(scope365),
    }
    selectors = {}
    for name, fn in parts.items():
        fn()
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        selectors[name] = round(1000 * statistics.median(times), 1)
        print(f"  selector {name:<26} p50 {selectors[name]:>8.1f} ms")
    # The beat task's re-roll: nothing new, then as if the last N events were unseen
    # (the loader's newest events: callbacks of orders spread over weeks).
    refresh = {}
    for unseen in (0, 100, 1000, 10000):
        state = RollupState.objects.get()
        state.last_event_id -= unseen
        state.save(update_fields=["last_event_id"])
        run = rollup_refresh()
        refresh[f"{unseen} events"] = {"seconds": run.seconds, "orders": run.touched_orders, "days": run.days}
        print(f"  rollup_refresh after {unseen} events: {run.touched_orders} orders, {run.days} days, {run.seconds}s")
    overall = {}
    for mode, times in all_dashboard.items():
        overall[mode] = {"p50_ms": round(1000 * statistics.median(times), 1), "p95_ms": round(1000 * pct(times, 95), 1)}
        print(
            f"ALL dashboard requests, {mode} ({len(times)}): "
            f"p50 {overall[mode]['p50_ms']} ms, p95 {overall[mode]['p95_ms']} ms"
        )
    out = {
        "benchmark": "dashboard",
        "command": f"bench/dashboard_bench.py --repeat {args.repeat}",
        "data": {"orders": orders, "events": events, "deadlines": deadlines},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "database": "PostgreSQL"},
        "pages": results,
        "dashboard_overall": overall,  # per mode: cold (no cache) and cached
        "selectors_p50_ms": selectors,
        "rollup_refresh": refresh,
        "load_average": {"start": load_at_start, "end": os.getloadavg()},
    }
    path = ROOT / "bench" / "results" / "dashboard.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print(f"written {path}")


if __name__ == "__main__":
    main()
