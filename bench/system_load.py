"""The whole system under a Beijing peak day: gunicorn + two Celery workers + beat +
PostgreSQL primary + streaming replica + Redis (broker, cache, sessions), all started here.

    .venv/bin/python bench/system_load.py [--seconds 600] [--rate 6] [--burst 30] [--no-kill]
    .venv/bin/python bench/system_load.py --headroom 6,12,18,24 --seconds 60

Headroom: steady steps (no burst, no kill) at rising rates on one stack, each drained
before the next; the highest rate with 0 errors, nothing unrouted, routing p95 ≤ 1 s and
the intake keeping pace (the last order answered within 5 % + 2 s of the step's end).

The load, all over HTTP: intake from every channel at --rate orders/s (hotline calls by
the operator's API client 60 %, public web/QR submissions 25 %, grid patrol reports 15 %)
with a --burst orders/s spike for 10 s at a quarter and at three quarters of the run;
operators accepting submissions and making callbacks, handlers of three units signing
and replying, the dispatcher approving replies, supervisors on the dashboard and the
ledger (served by the replica behind the lag guard), residents tracking their orders.
Halfway, worker w1 is killed with SIGKILL (its whole process group) and restarted 15 s
later; the figures are reported for each half ("steady" and "worker_killed").

Reported: throughput, p50/p95 per request type, routing latency from the event log
(accept or log_call → assign), scan lag (a deadline's warned_at − warn_at; the
department category's sign limit is set to 2 minutes so warnings fall in the run),
errors (non-2xx answers or failed requests, target 0), orders left unrouted and
notifications unsent after the drain ("nothing lost"), CPU share of the two cores per
process group, RSS per process, load average. Writes bench/results/system_load.json.

The PostgreSQL servers are clusters of this bench (initdb on free ports, fsync on);
Redis is 127.0.0.1:6379 database --redis-db (5), flushed at the start.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from procstat import Meter, postmaster_pid, rss_mb, tree  # noqa: E402

from hotline.testing_services import Browser, Web, free_port, manage, start_replicated_pair  # noqa: E402

SEED = """
import json
from api.tokens import api_token_create
from hotline.testing import build_district
d = build_district()
d.cat_department.sign_limit = "2m"  # warnings and breaches inside the run: the scan lag
d.cat_department.save()
print(json.dumps({
    "tokens": {k: api_token_create(user=u)[1] for k, u in d.users.items()},
    "units": {"handler_a": d.street_a.pk, "handler_b": d.street_b.pk, "handler_dept": d.dept.pk},
}))
"""
CALL = {"title": "路口有人占道摆摊", "description": "每天傍晚在幸福里小区门口摆摊，影响通行。", "category": "0101"}
PLACES = [(39.905, 116.305), (39.905, 116.315), (39.905, 116.325)]  # grids A1, A2, B1


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))], 4)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples = defaultdict(list)  # (phase, kind) -> [seconds]
        self.errors = defaultdict(list)  # (phase, kind) -> [description]
        self.phase = "steady"

        self.timeline = []  # (start, kind, seconds): where in the run the time went

    def record(self, kind, seconds, status, body=b""):
        with self.lock:
            self.samples[(self.phase, kind)].append(seconds)
            self.timeline.append((time.monotonic() - seconds, kind, seconds))
            if not 200 <= status < 300:
                self.errors[(self.phase, kind)].append(f"{status} {body[:200]!r}")


class Client:
    def __init__(self, base, stats, token=None):
        self.browser = Browser(base)
        self.stats = stats
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Token {token}"

    def call(self, kind, method, path, data=None, *, json_body=True):
        start = time.perf_counter()
        try:
            status, body = self.browser.request(method, path, data, headers=self.headers if json_body else None)
        except Exception as exc:  # noqa: BLE001 - a refused connection is an error to count, not a crash
            status, body = 599, repr(exc).encode()
        self.stats.record(kind, time.perf_counter() - start, status, body)
        return status, (json.loads(body) if body and status < 300 and json_body else body)


# --- the day ---------------------------------------------------------------------------


class Day:
    def __init__(self, base, tokens, units, stats):
        self.base, self.tokens, self.units, self.stats = base, tokens, units, stats
        self.tracked = []  # (number, tracking_code) of public submissions
        self.stop = threading.Event()
        self.intake_pool = ThreadPoolExecutor(64)

    def client(self, who=None):
        return Client(self.base, self.stats, self.tokens[who] if who else None)

    def intake_one(self, i):
        lat, lng = random.choice(PLACES)
        category = "0102" if i % 5 == 0 else "0101"
        roll = random.random()
        if roll < 0.60:
            self.client("operator").call(
                "intake_hotline",
                "POST",
                "/api/v1/orders",
                {**CALL, "category": category, "caller_phone": f"139{i:08d}", "lat": lat, "lng": lng},
            )
        elif roll < 0.85:
            status, body = self.client().call(
                "intake_public",
                "POST",
                "/api/v1/public/requests",
                {**CALL, "category": category, "caller_phone": f"137{i:08d}", "lat": lat, "lng": lng},
            )
            if status == 201:
                self.tracked.append((body["number"], body["tracking_code"]))
        else:
            self.client("grid_worker_a").call(
                "intake_patrol",
                "POST",
                "/api/v1/orders",
                {**CALL, "category": category, "channel": "patrol", "lat": 39.905, "lng": 116.305},
            )

    def intake(self, seconds, rate, burst):
        """Open loop: orders start on schedule whatever the answers' latency."""
        start = time.monotonic()
        bursts = [(seconds * 0.25, seconds * 0.25 + 10), (seconds * 0.75, seconds * 0.75 + 10)]
        i, t = 0, 0.0
        while t < seconds and not self.stop.is_set():
            current = burst if any(a <= t < b for a, b in bursts) else rate
            t += 1.0 / current
            delay = start + t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            i += 1
            self.intake_pool.submit(self.intake_one, i)

    def loop(self, pause, fn):
        while not self.stop.is_set():
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - counted, the day goes on
                self.stats.record("actor_crash", 0, 599, repr(exc).encode())
            self.stop.wait(pause)

    def work_queue(self, who, kind, status, action, data, limit=10, extra=""):
        client = self.client(who)
        code, page = client.call(f"queue_{kind}", "GET", f"/api/v1/orders?status={status}{extra}&page_size={limit}")
        if code != 200:
            return
        for order in (page.get("results", page) if isinstance(page, dict) else page)[:limit]:
            client.call(f"{kind}", "POST", f"/api/v1/orders/{order['number']}/{action}", data)

    def handler(self, who):
        unit = self.units[who]
        self.work_queue(who, "sign", "assigned", "sign", {}, extra=f"&unit={unit}")
        self.work_queue(who, "reply", "in_progress", "reply", {"reply": "已到现场处理完毕。"}, extra=f"&unit={unit}")

    def supervisor(self):
        browser = Client(self.base, self.stats)
        try:
            browser.browser.login("supervisor", "pw-supervisor")
        except Exception as exc:  # noqa: BLE001 - an error of the run, not a silent missing actor
            self.stats.record("login", 0, 599, repr(exc).encode())
            return
        n = 0
        while not self.stop.is_set():
            n += 1
            start = (time.time() - 86400 * random.randint(0, 29)) // 86400 * 86400
            day = time.strftime("%Y-%m-%d", time.localtime(start))
            browser.call("dashboard", "GET", f"/dashboard/?start={day}", json_body=False)
            if n % 3 == 0:
                browser.call("ledger", "GET", f"/orders/?start={day}", json_body=False)
            self.stop.wait(2.0)

    def resident(self):
        client = self.client()
        if self.tracked:
            number, code = random.choice(self.tracked)
            client.call("track", "GET", f"/api/v1/public/track?number={number}&code={code}")

    def run(self, seconds, rate, burst):
        actors = [
            threading.Thread(target=self.intake, args=(seconds, rate, burst)),
            threading.Thread(
                target=self.loop, args=(1.0, lambda: self.work_queue("operator", "accept", "submitted", "accept", {}))
            ),
            threading.Thread(
                target=self.loop,
                args=(
                    3.0,
                    lambda: self.work_queue(
                        "operator",
                        "callback",
                        "callback",
                        "callback",
                        {"contacted": True, "resolution": "solved", "satisfaction": "satisfied"},
                    ),
                ),
            ),
            threading.Thread(
                target=self.loop, args=(2.0, lambda: self.work_queue("dispatcher", "approve", "replied", "approve", {}))
            ),
            # The department's handler looks every 100 s, so some of its 2-minute sign
            # limits are warned and breached by the scan during the run.
            *(
                threading.Thread(
                    target=self.loop, args=(100.0 if w == "handler_dept" else 2.0, lambda w=w: self.handler(w))
                )
                for w in self.units
            ),
            threading.Thread(target=self.supervisor),
            threading.Thread(target=self.loop, args=(0.5, self.resident)),
        ]
        for actor in actors:
            actor.daemon = True
            actor.start()
        actors[0].join()
        self.intake_pool.shutdown(wait=True)
        self.intake_done = time.monotonic()  # the last order answered
        self.stop.set()
        for actor in actors[1:]:
            actor.join(30)


# --- the stack -------------------------------------------------------------------------


class Stack:
    def __init__(self, args, workdir: Path):
        self.args, self.workdir = args, workdir
        self.procs = {}
        self.pair = start_replicated_pair(durable=True)
        self.web = None
        try:
            self._start()
        except BaseException:  # a failed or interrupted start leaves no server behind
            self.stop()
            raise

    def _start(self):
        args, workdir = self.args, self.workdir
        self.pair.primary.sql("CREATE DATABASE hotline")
        redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        self.env = {
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-not-a-secret",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.pair.primary.url("hotline"),
            "DATABASE_REPLICA_URL": self.pair.replica.url("hotline"),
            "HOTLINE_CACHE_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "HOTLINE_PUBLIC_THROTTLE": "1000000/min",  # every resident of the bench is 127.0.0.1
            "HOTLINE_VAR_DIR": str(workdir / "var"),
            "LOG_LEVEL": "WARNING",
            # TLS ends at the proxy in front (deploy/nginx.conf); the bench talks to
            # gunicorn directly, like nginx does, so no redirect to https.
            "HOTLINE_HTTPS": "0",
        }
        manage(self.env, "migrate", "--noinput")
        manage(self.env, "collectstatic", "--noinput")  # as README › Deploy: DEBUG=0 serves the manifest
        seeded = json.loads(manage(self.env, "shell", "-c", SEED).strip().splitlines()[-1])
        self.tokens, self.units = seeded["tokens"], seeded["units"]
        self.web = self.start_web()
        self.start_worker("w1")
        self.start_worker("w2")
        self.start_beat()
        self.wait_ready()

    def wait_ready(self, timeout=180):
        """Load starts once /readyz is green (database, broker, and the scan and roll-up
        run by beat through a worker), as a load balancer would wait: the workers'
        start-up is not routing latency."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.web.base}/readyz", timeout=5):
                    return
            except OSError:
                time.sleep(1)
        raise TimeoutError("/readyz did not turn green")

    def start_web(self):
        """gunicorn as the systemd unit starts it (deploy/gunicorn.conf.py, metrics
        directory included); its access log (with each request's own duration) goes to
        the work directory's web.log."""
        port = free_port()
        (self.workdir / "metrics").mkdir()
        self.env.update(
            {
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "GUNICORN_WORKERS": str(self.args.web_workers),
                "GUNICORN_THREADS": str(self.args.web_threads),
                "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / "metrics"),
            }
        )
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self._spawn("web", [gunicorn, "-c", str(ROOT / "deploy" / "gunicorn.conf.py")])
        web = Web(port, self.procs.pop("web"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if web.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {web.proc.returncode}")
            try:
                with urllib.request.urlopen(f"{web.base}/healthz", timeout=2):
                    return web
            except OSError:
                time.sleep(0.2)
        web.stop()
        raise TimeoutError("gunicorn did not answer /healthz")

    def _spawn(self, name, cmd):
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - the child writes to it for its whole life
        self.procs[name] = subprocess.Popen(
            cmd, cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_worker(self, name):
        celery = str(Path(sys.executable).parent / "celery")
        self._spawn(
            name,
            [
                celery,
                "-A",
                "hotline",
                "worker",
                "-n",
                f"{name}@%h",
                "--pool=prefork",
                f"--concurrency={self.args.worker_concurrency}",
                "-l",
                os.environ.get("BENCH_WORKER_LOGLEVEL", "warning"),  # info: one line per task, to count drains
                "--without-gossip",
                "--without-mingle",
            ],
        )

    def start_beat(self):
        celery = str(Path(sys.executable).parent / "celery")
        self._spawn(
            "beat", [celery, "-A", "hotline", "beat", "-l", "warning", "-s", str(self.workdir / "beat-schedule")]
        )

    def kill(self, name):
        proc = self.procs[name]
        os.killpg(proc.pid, signal.SIGKILL)  # the main process and its pool children, no goodbye
        proc.wait()

    def groups(self):
        return {
            "web (gunicorn)": lambda: [self.web.proc.pid],
            "worker w1": lambda: [self.procs["w1"].pid],
            "worker w2": lambda: [self.procs["w2"].pid],
            "beat": lambda: [self.procs["beat"].pid],
            "postgres primary": lambda: [postmaster_pid(self.pair.primary)],
            "postgres replica": lambda: [postmaster_pid(self.pair.replica)],
            "load generator": lambda: [-os.getpid()],  # negative: this process alone, not its children
        }

    def stop(self):
        if self.web:
            self.web.stop()
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        self.pair.stop()


def query(stack, sql):
    return stack.pair.primary.sql(sql, db="hotline")


ROUTING_SQL = """
WITH s AS (SELECT order_id, min(created_at) t FROM workorders_event WHERE kind IN ('log_call', 'accept')
           GROUP BY order_id),
     a AS (SELECT order_id, min(created_at) t FROM workorders_event WHERE kind = 'assign' GROUP BY order_id)
SELECT extract(epoch FROM s.t), extract(epoch FROM a.t - s.t),
       EXISTS (SELECT 1 FROM dispatch_dispatchqueueentry q WHERE q.order_id = s.order_id)
FROM s LEFT JOIN a USING (order_id)
"""


def drain(stack, timeout):
    """Wait until every accepted order is assigned or queued and every notification sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = query(stack, ROUTING_SQL)
        unrouted = sum(1 for _t, lat, queued in rows if lat is None and not queued)
        unsent = query(stack, "SELECT count(*) FROM dispatch_notification WHERE state <> 'sent'")[0][0]
        if not unrouted and not unsent:
            break
        time.sleep(2)
    return rows, unrouted, unsent


def run_once(args, rate, seconds, kill, stack=None):
    """One load of ``seconds`` at ``rate`` on a stack of its own, or on ``stack`` (the
    headroom steps share one and each counts only what started in its own window)."""
    own_stack = stack is None
    if own_stack:
        workdir = Path(tempfile.mkdtemp(prefix="hotline-system-"))
        stack = Stack(args, workdir)
    stats = Stats()
    meter = Meter(stack.groups())
    loadavg_before = Path("/proc/loadavg").read_text().split()[:3]
    try:
        meter.sample()
        threading.Thread(target=meter.run, daemon=True).start()
        day = Day(stack.web.base, stack.tokens, stack.units, stats)
        t0 = time.time()
        half = t0 + seconds / 2

        def kill_halfway():
            time.sleep(seconds / 2)
            stats.phase = "worker_killed"
            if kill:
                stack.kill("w1")
                time.sleep(15)
                stack.start_worker("w1")

        killer = threading.Thread(target=kill_halfway, daemon=True)
        killer.start()
        wall0 = wall_start = time.monotonic()
        day.run(seconds, rate, args.burst)
        wall = time.monotonic() - wall0
        intake_wall = day.intake_done - wall0
        meter.sample()
        cpu = meter.cpu_seconds()
        waited = meter.runqueue_wait_seconds()
        rss = {
            name: [rss_mb(pid) for pid in tree(root) if rss_mb(pid)]
            for name, roots in stack.groups().items()
            for root in roots()
        }
        rows, unrouted, unsent = drain(stack, args.drain)
        rows = [r for r in rows if float(r[0]) >= t0]
        meter.stop_flag.set()
        warned = [
            float(r[0])
            for r in query(
                stack,
                "SELECT extract(epoch FROM warned_at - warn_at) FROM workorders_deadline "
                f"WHERE warned_at IS NOT NULL AND warn_at >= to_timestamp({t0})",
            )
        ]
        orders = query(stack, f"SELECT count(*) FROM workorders_workorder WHERE created_at >= to_timestamp({t0})")[0][0]
    finally:
        if own_stack:
            stack.stop()
            if args.keep:
                print(f"logs kept in {stack.workdir}", file=sys.stderr)
            else:
                shutil.rmtree(stack.workdir, ignore_errors=True)
    phases = {}
    for phase in ("steady", "worker_killed"):
        lo, hi = (t0, half) if phase == "steady" else (half, float("inf"))
        lat = [float(r[1]) for r in rows if lo <= float(r[0]) < hi and r[1] is not None]
        requests = {k: v for (p, k), v in stats.samples.items() if p == phase}
        phases[phase] = {
            "requests": {
                k: {"n": len(v), "p50_ms": round(pct(v, 50) * 1000, 1), "p95_ms": round(pct(v, 95) * 1000, 1)}
                for k, v in sorted(requests.items())
            },
            "errors": {k: len(v) for (p, k), v in stats.errors.items() if p == phase},
            "error_examples": [e for (p, _k), v in stats.errors.items() if p == phase for e in v[:2]][:6],
            "routed": len(lat),
            "routing_p50_s": pct(lat, 50),
            "routing_p95_s": pct(lat, 95),
            "routing_max_s": max(lat) if lat else None,
        }
    timeline = []
    intakes = [(t - wall_start, sec) for t, kind, sec in stats.timeline if kind.startswith("intake")]
    for window in range(0, seconds, 10):
        lat = [sec for t, sec in intakes if window <= t < window + 10]
        routed = [float(r[1]) for r in rows if r[1] is not None and window <= float(r[0]) - t0 < window + 10]
        timeline.append(
            {
                "t": window,
                "intake_n": len(lat),
                "intake_p95_ms": round((pct(lat, 95) or 0) * 1000),
                "routing_p95_s": pct(routed, 95),
            }
        )
    total_requests = sum(len(v) for v in stats.samples.values())
    sut = [k for k in cpu if k != "load generator"]
    return {
        "rate": rate,
        "burst": args.burst,
        "seconds": seconds,
        "worker_killed_halfway": kill,
        "orders": orders,
        "orders_per_s": round(orders / intake_wall, 2),
        # Until the last intake was answered: beyond `seconds`, the web fell behind.
        "load_wall_s": round(intake_wall, 1),
        "requests_per_s": round(total_requests / wall, 1),
        "errors": sum(len(v) for v in stats.errors.values()),
        "unrouted_after_drain": unrouted,
        "notifications_unsent_after_drain": unsent,
        "scan_lag_s": {
            "n": len(warned),
            "p50": pct(warned, 50),
            "p95": pct(warned, 95),
            "max": max(warned) if warned else None,
        },
        "cpu_share_of_2_cores": {k: round(v / wall / 2, 3) for k, v in sorted(cpu.items())},
        "cpu_share_system_under_test": round(sum(cpu[k] for k in sut) / wall / 2, 3),
        # Time the processes were ready to run but every core was taken (by the machine's
        # other load or by each other): latency that is not this system's own work.
        "runqueue_wait_s": {k: round(v, 1) for k, v in sorted(waited.items())},
        "rss_mb_end": rss,
        "rss_mb_peak_per_group_process": dict(meter.peak_rss),
        "loadavg_before": loadavg_before,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
        "phases": phases,
        "timeline_10s": timeline,
    }


def headroom_step(args, rate, stack):
    result = run_once(args, rate, args.seconds, kill=False, stack=stack)
    phases = result["phases"].values()
    p95 = max(v["routing_p95_s"] or 0 for v in phases)
    intake = [r["p95_ms"] for v in phases for k, r in v["requests"].items() if k.startswith("intake")]
    # Sustained: the intake kept pace (the last order answered within 5 % + 2 s of the
    # step's end), nothing failed or stayed unrouted, routing p95 ≤ 1 s.
    kept_pace = result["load_wall_s"] <= args.seconds * 1.05 + 2
    return {
        "rate": rate,
        "ok": result["errors"] == 0 and p95 <= 1.0 and not result["unrouted_after_drain"] and kept_pace,
        "intake_kept_pace": kept_pace,
        "routing_p95_s": p95,
        "intake_p95_ms": max(intake) if intake else None,
        **{
            k: result[k]
            for k in (
                "orders",
                "orders_per_s",
                "load_wall_s",
                "errors",
                "unrouted_after_drain",
                "cpu_share_system_under_test",
                "runqueue_wait_s",
                "loadavg_before",
                "loadavg_after",
            )
        },
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--rate", type=float, default=6.0)
    parser.add_argument("--burst", type=float, default=30.0)
    parser.add_argument("--no-kill", action="store_true", help="do not kill a worker halfway")
    parser.add_argument("--headroom", help="comma-separated rates: short steady runs, no kill, no burst")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--worker-concurrency", type=int, default=2, help="per worker host (the systemd unit: 2)")
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--drain", type=int, default=150, help="seconds to wait for the backlog after the load")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (process logs)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "system_load.json"))
    args = parser.parse_args()
    if args.headroom:
        results = []
        burst = args.burst
        # One stack for every step (its start-up is minutes on a busy machine); each step
        # drains before the next, and counts only the orders of its own window.
        workdir = Path(tempfile.mkdtemp(prefix="hotline-system-"))
        stack = Stack(args, workdir)
        try:
            steps = [float(r) for r in args.headroom.split(",")]
            for rate in steps:
                args.burst = rate
                results.append(headroom_step(args, rate, stack))
                print(json.dumps(results[-1]), flush=True)
                if not results[-1]["ok"]:
                    break  # the rates are rising: the first miss ends the search
        finally:
            stack.stop()
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
        args.burst = burst
        good = [r["rate"] for r in results if r["ok"]]
        out = {
            "headroom": {
                "steps": results,
                "highest_ok_rate": max(good) if good else None,
                "seconds_per_step": args.seconds,
            },
            "command": "bench/system_load.py " + " ".join(sys.argv[1:]),
        }
        path = Path(args.out).with_name("system_load_headroom.json")
    else:
        out = run_once(args, args.rate, args.seconds, kill=not args.no_kill)
        out["command"] = "bench/system_load.py " + " ".join(sys.argv[1:])
        path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(out, indent=2, ensure_ascii=False))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
