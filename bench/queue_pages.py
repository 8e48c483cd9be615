"""Page weight and server time of the work queues with 5,000 waiting items each.

    .venv/bin/python bench/queue_pages.py [--items 5000] [--repeat 15] [--no-browser] [--out NAME]
    .venv/bin/python bench/queue_pages.py --paint-only http://127.0.0.1:PORT   # the demo's desk

Builds a database of its own — PostgreSQL (DATABASE_URL, default hotline_pagesq_bench),
or SQLite when DATABASE_URL is sqlite:////path/file.sqlite3 — with the test district,
80 communities and, per queue, one order taken there through the real services then
copied N times with its events, timers and extension request (bulk insert: the pages
read these rows exactly as they read orders made one by one; the residents' submissions
are varied in text, place and caller). Then, in-process with Django's test client (so
"server time" is the whole request: middleware, queries, template), fetches each queue's
first screen (desk tabs, workbench, submissions, callbacks) `--repeat` times and records
p50/p95, the HTML size and the query count; and with Chromium against a runserver on a
free port, the desk's first contentful paint, first byte and DOM ready. Targets (issue
#12): ≤ 300 ms server time and ≤ 150 KB HTML per first screen; desk first paint ≤ 1 s.
Writes bench/results/queue_pages.json (queue_pages_sqlite.json on SQLite, or --out).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/6")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"  # the template orders' follow-ups run inline

from bench.dispatch_common import machine, setup, write_result  # noqa: E402


def _copies(template, n: int, *, prefix: str, now, spread: timedelta, vary=None) -> list[int]:
    """``n`` copies of ``template`` (an order in the state a queue waits for), with its
    events, deadlines and pending extension request, created_at spread over ``spread``;
    ``vary(i)`` gives fields that differ from copy to copy (text, place, caller)."""
    from workorders.models import Deadline, Event, ExtensionRequest, WorkOrder

    events = list(Event.objects.filter(order=template).order_by("seq").values())
    deadlines = list(Deadline.objects.filter(order=template).values())
    extensions = list(ExtensionRequest.objects.filter(order=template).values())
    fields = {f.attname for f in WorkOrder._meta.concrete_fields} - {"id"}
    base = {k: v for k, v in WorkOrder.objects.filter(pk=template.pk).values()[0].items() if k in fields}
    made = []
    step = spread / max(n, 1)
    for start in range(0, n, 1000):
        batch = []
        for i in range(start, min(n, start + 1000)):
            row = dict(base, number=f"{prefix}{i:06d}", created_at=now - step * i)
            if i % 9 == 0:
                row["urgency"] = "urgent"
            if vary is not None:
                row.update(vary(i))
            batch.append(WorkOrder(**row))
        WorkOrder.objects.bulk_create(batch)
        ids = list(
            WorkOrder.objects.filter(number__in=[o.number for o in batch])
            .order_by("number")
            .values_list("pk", flat=True)
        )
        made += ids

        for model, rows in ((Event, events), (Deadline, deadlines), (ExtensionRequest, extensions)):
            model.objects.bulk_create(
                [model(**{**{k: v for k, v in r.items() if k != "id"}, "order_id": oid}) for oid in ids for r in rows]
            )
    return made


def _communities(d, per_street: int = 40) -> list[int]:
    """A district-sized set of communities (the test district has two), so each
    submission's place search meets its own neighbourhood, not the whole queue, and the
    desk's unit picker lists as many units as a real district's."""
    from grids.models import OrgUnit, UnitKind

    for street in (d.street_a, d.street_b):
        have = set(OrgUnit.objects.filter(parent=street, kind=UnitKind.COMMUNITY).values_list("code", flat=True))
        for k in range(2, per_street + 1):
            if (code := f"{street.code}-{k}") not in have:  # one by one: save() writes the tree path
                OrgUnit.objects.create(
                    code=code, name=f"{street.name}第{k}社区", kind=UnitKind.COMMUNITY, parent=street
                )
    return list(OrgUnit.objects.filter(kind=UnitKind.COMMUNITY).order_by("code").values_list("pk", "parent_id"))


def build(n: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from bench.dispatch_common import district as bench_district
    from workorders import services as s
    from workorders.models import WorkOrder

    d = bench_district()
    if WorkOrder.objects.filter(number__startswith="QA").count() >= n:
        return {"district": d}
    u = d.user
    now = timezone.now()

    def call(**kw):
        return s.work_order_log_call(
            actor=u("operator"),
            caller_name="张三",
            caller_phone="13812345678",
            title="路口有人占道摆摊",
            description="每天傍晚在幸福里小区门口摆摊，影响通行。",
            address="幸福里小区东门",
            lat=39.905,
            lng=116.305,
            category=d.cat_territorial,
            auto_dispatch=False,
            **kw,
        )

    unrouted = call()
    returned = s.work_order_return(
        order=s.work_order_assign(order=call(), actor=u("dispatcher"), unit=d.street_a),
        actor=u("handler_a"),
        reason="not_territory",
        note="不在本辖区",
    )
    doing = s.work_order_sign(
        order=s.work_order_assign(order=call(), actor=u("dispatcher"), unit=d.street_a), actor=u("handler_a")
    )
    handle = doing.deadlines.get(stage="handle", state="open").due_at
    extension = s.work_order_request_extension(
        order=doing, actor=u("handler_a"), proposed_due=handle + timedelta(days=3), reason="等待材料"
    )
    replied = s.work_order_reply(
        order=s.work_order_sign(
            order=s.work_order_assign(order=call(), actor=u("dispatcher"), unit=d.street_a), actor=u("handler_a")
        ),
        actor=u("handler_a"),
        reply="已清理。",
    )
    assigned = s.work_order_assign(order=call(), actor=u("dispatcher"), unit=d.street_b)
    callback = s.work_order_approve(
        order=s.work_order_reply(
            order=s.work_order_sign(
                order=s.work_order_assign(order=call(), actor=u("dispatcher"), unit=d.street_a), actor=u("handler_a")
            ),
            actor=u("handler_a"),
            reply="已处理。",
        ),
        actor=u("dispatcher"),
    )
    submitted = s.work_order_submit(
        actor=None,
        channel="web",
        caller_phone="13812345678",
        title="路灯不亮",
        description="幸福里小区东门路灯坏了。",
        address="幸福里小区东门",
        lat=39.905,
        lng=116.305,
    )
    communities = _communities(d)
    texts = [
        ("路灯不亮", "小区东门路灯坏了，晚上很黑。"),
        ("垃圾清运不及时", "楼下垃圾桶满了三天没人清。"),
        ("噪音扰民", "夜里施工噪音很大，影响休息。"),
        ("占道经营", "门口有人占道摆摊，影响通行。"),
        ("井盖破损", "路口井盖松动，车压过去响。"),
        ("违章停车", "消防通道被私家车长期占用。"),
        ("树木遮挡", "行道树枝太密挡住了窗户。"),
        ("供暖不热", "家里暖气温度不到十八度。"),
        ("道路积水", "下雨后人行道积水没过脚面。"),
        ("小广告", "单元门上贴满了小广告。"),
        ("宠物扰民", "邻居家的狗整夜叫。"),
        ("油烟污染", "楼下饭店油烟直排进窗户。"),
    ]

    def varied(i: int) -> dict:
        # 5,000 residents' reports spread over places and texts, as a real queue is:
        # each row's duplicate search then meets the few at its own place.
        title, text = texts[i % len(texts)]
        place = i % 400
        community, street = communities[place % len(communities)]
        return {
            "title": title,
            "description": f"{text}（第{i}号）",
            "address": f"幸福路{place}号",
            "community_id": community,
            "street_id": street,
            "grid_id": None,
            "caller_phone": f"139{i:08d}",
        }

    spread = timedelta(days=60)
    for prefix, template in (
        ("QA", unrouted),
        ("QR", returned),
        ("QE", extension),
        ("QP", replied),
        ("QW", assigned),
        ("QC", callback),
        ("QS", submitted),
    ):
        started = time.perf_counter()
        _copies(template, n, prefix=prefix, now=now, spread=spread, vary=varied if prefix == "QS" else None)
        print(f"  {n} copies of {template.status} ({prefix}) in {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"district": d}


def measure(client, url: str, repeat: int) -> dict:
    times, size, status = [], 0, 0
    client.get(url)  # warm the process caches once, as a running server has them
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        size, status = len(response.content), response.status_code
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    return {
        "queries": len(queries),
        "url": url,
        "status": status,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "html_kb": round(size / 1024, 1),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_paint(user: str, password: str, path: str, runs: int = 5, base: str = "") -> dict:
    """Chromium against a real server: first contentful paint of ``path``. Without
    ``base``, a runserver on a free port over the bench database is started."""
    from playwright.sync_api import sync_playwright

    server = None
    if not base:
        port = free_port()
        env = dict(os.environ, DEBUG="1")
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
    host, port = base.split("//", 1)[1].split(":")
    try:
        for _ in range(120):
            try:
                socket.create_connection((host, int(port)), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            page.goto(base + "/accounts/login/")
            page.fill("#id_username", user)
            page.fill("#id_password", password)
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
            paints, timings = [], []
            for _ in range(runs):
                page.goto("about:blank")  # a fresh navigation each time (no back/forward cache)
                page.goto(base + path)
                fcp = None
                for _ in range(30):  # the paint entry can land a moment after the load event
                    fcp = page.evaluate(
                        "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"
                    )
                    if fcp:
                        break
                    page.wait_for_timeout(100)
                paints.append(round(fcp, 1) if fcp else None)
                # The navigation's own timing: the server's first byte, the parsed document.
                timings.append(
                    page.evaluate(
                        "() => { const n = performance.getEntriesByType('navigation')[0];"
                        " return {ttfb: Math.round(n.responseStart), dom: Math.round(n.domContentLoadedEventEnd),"
                        " bytes: n.transferSize}; }"
                    )
                )
            browser.close()
        good = sorted(x for x in paints if x is not None)
        ttfb = sorted(t["ttfb"] for t in timings)
        dom = sorted(t["dom"] for t in timings)
        return {
            "path": path,
            "fcp_ms_runs": paints,
            "fcp_ms_median": good[len(good) // 2] if good else None,
            "ttfb_ms_median": ttfb[len(ttfb) // 2] if ttfb else None,
            "dom_content_loaded_ms_median": dom[len(dom) // 2] if dom else None,
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)


def _setup_sqlite() -> None:
    """DATABASE_URL=sqlite:////path/file.sqlite3: the same bench on SQLite (the
    development and demo database), in a file of its own."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    name = Path(os.environ["DATABASE_URL"].split(":///", 1)[1]).name
    if name.startswith("test") or name == "hotline.sqlite3":
        raise SystemExit(f"refusing to benchmark in {name!r}: use a database file of its own")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--out", help="results file name under bench/results (default queue_pages[_sqlite])")
    parser.add_argument(
        "--paint-only",
        metavar="URL",
        help="only the desk's first paint, against a running server (e.g. the demo, login dispatcher/hotline-demo)",
    )
    args = parser.parse_args()
    if args.paint_only:
        paint = first_paint("dispatcher", "hotline-demo", "/desk/", runs=7, base=args.paint_only.rstrip("/"))
        load = os.getloadavg()
        print(
            f"demo desk first contentful paint: median {paint['fcp_ms_median']} ms, runs {paint['fcp_ms_runs']}; "
            f"first byte {paint['ttfb_ms_median']} ms, DOM ready {paint['dom_content_loaded_ms_median']} ms"
        )
        print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
        write_result(
            "queue_pages_demo_paint",
            {"desk_first_paint": paint, "load_average": load, "machine": machine(), "server": args.paint_only},
        )
        return
    if os.environ.get("DATABASE_URL", "").startswith("sqlite"):
        _setup_sqlite()
    else:
        setup("hotline_pagesq_bench")
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    built = build(args.items)
    d = built["district"]
    pages = {
        "dispatcher": [
            "/desk/",
            "/desk/?tab=returned",
            "/desk/?tab=extensions",
            "/desk/?tab=replies",
        ],
        "handler_b": ["/unit/", "/unit/?tab=sign", "/unit/?tab=overdue"],
        "operator": ["/ops/submissions/", "/ops/callbacks/"],
    }
    results = []
    for user, urls in pages.items():
        client = Client()
        client.force_login(d.user(user))
        for url in urls:
            r = measure(client, url, args.repeat)
            r["user"] = user
            r["meets"] = r["status"] == 200 and r["p95_ms"] <= 300 and r["html_kb"] <= 150
            results.append(r)
            verdict = "ok" if r["meets"] else "MISSED"
            print(
                f"{user:11} {url:24} p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  "
                f"{r['html_kb']:6.1f} KB  {r['queries']:3d} queries  {verdict}",
                flush=True,
            )
    # References in the same run, so the figures can be read against the machine's load:
    # a bare request (/healthz) and an ordinary page (one order's page).
    from workorders.models import WorkOrder

    client = Client()
    client.force_login(d.user("dispatcher"))
    one = WorkOrder.objects.filter(number__startswith="QA").order_by("pk").first()
    references = [measure(client, "/healthz", args.repeat), measure(client, f"/orders/{one.number}/", args.repeat)]
    for r in references:
        print(f"reference   {r['url']:24} p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms", flush=True)
    paint = None
    if not args.no_browser:
        paint = first_paint("dispatcher", "pw-dispatcher", "/desk/")
        print(
            f"desk first contentful paint (Chromium): median {paint['fcp_ms_median']} ms, runs {paint['fcp_ms_runs']}; "
            f"first byte {paint['ttfb_ms_median']} ms, DOM ready {paint['dom_content_loaded_ms_median']} ms"
        )
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    write_result(
        args.out or ("queue_pages_sqlite" if sqlite else "queue_pages"),
        {
            "items_per_queue": args.items,
            "repeat": args.repeat,
            "database": settings.DATABASES["default"]["ENGINE"],
            "pages": results,
            "references": references,
            "desk_first_paint": paint,
            "load_average": load,
            "machine": machine(),
            "command": "bench/queue_pages.py " + " ".join(sys.argv[1:]),
        },
    )


if __name__ == "__main__":
    main()
