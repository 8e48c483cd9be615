"""The uncached supervisor dashboard (the growth bench's two rows) of two source trees
at 1,000,000 orders, A/B: one process per tree, the requests alternating between them
one at a time, so a burst of load from the rest of the machine falls on both alike.

    git archive <base> | tar -x -C /tmp/base && ln -s $PWD/.venv /tmp/base/.venv
    .venv/bin/python bench/dashboard_ab.py [REPS] [BASE_TREE]   # default 20, /tmp/pagese_base

Prints p50 and p95 per page and tree and the p50 ratio (this tree ÷ base); writes
bench/results/dashboard_ab.json. Reads hotline_perf_1m (read-only)."""

import json
import os
import statistics
import subprocess
import sys
import time

if len(sys.argv) > 1 and sys.argv[1] == "child":
    os.chdir(sys.argv[2])
    sys.path.insert(0, os.getcwd())
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/hotline_perf_1m"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.page_settings"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["HOTLINE_DASHBOARD_CACHE_SECONDS"] = "0"
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from grids.models import OrgUnit, UnitKind

    c = Client()
    c.force_login(get_user_model().objects.get(username="supervisor"))
    street = OrgUnit.objects.filter(kind=UnitKind.STREET).order_by("pk").first()
    urls = [
        "/dashboard/",
        f"/dashboard/?start={(timezone.localdate() - timedelta(days=6)).isoformat()}&unit={street.pk}",
    ]
    for u in urls:
        c.get(u)
        c.get(u)
    print("ready", flush=True)
    for line in sys.stdin:
        u = urls[int(line)]
        t = time.perf_counter()
        r = c.get(u)
        el = (time.perf_counter() - t) * 1000
        assert r.status_code == 200
        print(f"{el:.1f}", flush=True)
    sys.exit()
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
trees = {"base": sys.argv[2] if len(sys.argv) > 2 else "/tmp/pagese_base", "branch": HERE}
kids = {
    k: subprocess.Popen(
        [sys.executable, __file__, "child", d], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=d
    )
    for k, d in trees.items()
}
for k in kids.values():
    assert k.stdout.readline().strip() == "ready"
res = {(k, p): [] for k in trees for p in (0, 1)}
for i in range(reps):
    for p in (0, 1):
        order = list(trees) if i % 2 == 0 else list(reversed(list(trees)))
        for k in order:
            kids[k].stdin.write(f"{p}\n")
            kids[k].stdin.flush()
            res[(k, p)].append(float(kids[k].stdout.readline()))
for k in kids.values():
    k.stdin.close()
    k.wait()
names = ["dashboard (default 30 days)", "dashboard 7 days, street"]
out = {"reps": reps, "trees": trees, "load": os.getloadavg()}


def p95(xs):
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


for p in (0, 1):
    b, a = sorted(res[("base", p)]), sorted(res[("branch", p)])
    out[names[p]] = {"base": b, "branch": a}
    mb, ma = statistics.median(b), statistics.median(a)
    print(
        f"{names[p]:30s} base p50 {mb:6.1f} p95 {p95(b):6.1f} | branch p50 {ma:6.1f} p95 {p95(a):6.1f}"
        f" | ratio p50 {ma / mb:.2f}"
    )
name = os.environ.get("AB_RESULT", "dashboard_ab") + ".json"
with open(os.path.join(HERE, "bench", "results", name), "w") as f:
    json.dump(out, f, indent=1)
