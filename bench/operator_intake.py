"""How long a practised operator needs to log a call on the console (target: < 60 s).

    .venv/bin/python bench/operator_intake.py [--calls 5] [--cps 1.0] [--kps 6]

Starts the real site (runserver on a throwaway SQLite database holding the test
district) and drives the operator console in Debian's headless Chromium the way the
browser test does, but at human speed: digits at --kps keys per second, Chinese text at
--cps characters per second (a practised pinyin typist: about 60 a minute), one key
for each jump (Tab, Alt+1 for the first suggested category, Ctrl+Enter to submit).
Each call: the caller's number (history appears), name, a 31-character description
(category suggestions appear), Alt+1, a 7-character address (community/grid appear),
Ctrl+Enter, the receipt. Reports per call the total time from the empty form to the
receipt, the part that is typing, and how long the page made the operator wait for each
thing it looks up. Writes bench/results/operator_intake.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PORT = int(os.environ.get("BENCH_PORT") or 0)  # 0: a free port, picked in main()

CALL = {
    "phone": "13812345678",
    "name": "张三",
    "description": "幸福里小区门口每天傍晚有小贩摆摊，堵住了消防通道，请尽快处理。",
    "address": "幸福里小区东门",
}


def setup(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from hotline.testing import build_district

    call_command("migrate", verbosity=0)
    build_district()


def wait_for_server(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urlopen(url, timeout=1)  # noqa: S310 - our own local server
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--cps", type=float, default=1.0, help="Chinese characters per second")
    parser.add_argument("--kps", type=float, default=6.0, help="digit/shortcut keys per second")
    parser.add_argument("--port", type=int, default=PORT, help="runserver's port (BENCH_PORT; default: a free one)")
    args = parser.parse_args()
    global PORT
    if args.port:
        PORT = args.port
    else:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            PORT = sock.getsockname()[1]

    tmp = Path(tempfile.mkdtemp(prefix="hotline-operator-bench-"))
    env = {
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "HOTLINE_VAR_DIR": str(tmp),
        "DJANGO_SETTINGS_MODULE": "hotline.settings",
        "DEBUG": "1",  # runserver serves the static files (htmx, CSS) itself
        "LOG_LEVEL": "WARNING",
    }
    setup(env)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{PORT}"
    key_gap, char_gap = 1 / args.kps, 1 / args.cps
    calls = []
    try:
        wait_for_server(base + "/accounts/login/")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
            )
            page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
            page.set_default_timeout(15_000)
            page.goto(base + "/accounts/login/")
            page.get_by_label("用户名").fill("operator")
            page.get_by_label("密码").fill("pw-operator")
            page.get_by_role("button", name="登录").click()
            page.wait_for_url("**/ops/")
            for n in range(args.calls):
                page.goto(base + "/ops/")
                typing = 0.0
                waits = {}

                def keys(text: str, gap: float) -> float:
                    for ch in text:
                        page.keyboard.insert_text(ch) if ord(ch) > 127 else page.keyboard.type(ch)
                        time.sleep(gap)
                    return len(text) * gap

                def press(combo: str) -> float:
                    page.keyboard.press(combo)
                    time.sleep(key_gap)
                    return key_gap

                def wait(name: str, locator, waits=waits) -> None:
                    t = time.perf_counter()
                    locator.wait_for()
                    waits[name] = round((time.perf_counter() - t) * 1000)

                t0 = time.perf_counter()
                typing += keys(CALL["phone"], key_gap)  # the number field has focus on arrival
                wait(
                    "caller history",
                    page.locator("#caller-history ul.history, #caller-history p.muted:has-text('首次来电')").first,
                )
                typing += press("Tab")
                typing += keys(CALL["name"], char_gap)
                page.get_by_label("诉求内容").focus()
                typing += key_gap  # one jump to the description
                typing += keys(CALL["description"], char_gap)
                wait("category suggestions", page.locator("#category-suggest button").first)
                typing += press("Alt+1")
                page.get_by_label("地址").focus()
                typing += key_gap
                typing += keys(CALL["address"], char_gap)
                wait("located community/grid", page.locator("#locate-hint").get_by_text("网格"))
                t_submit = time.perf_counter()
                page.keyboard.press("Control+Enter")
                typing += key_gap
                page.get_by_text("已登记").first.wait_for()
                waits["receipt after submit"] = round((time.perf_counter() - t_submit) * 1000)
                total = time.perf_counter() - t0
                calls.append(
                    {
                        "total_s": round(total, 1),
                        "typing_s": round(typing, 1),
                        "waiting_s": round(total - typing, 2),
                        "waits_ms": waits,
                    }
                )
                print(f"call {n + 1}: {total:.1f} s ({typing:.1f} s typing), waits {waits}")
            browser.close()
    finally:
        server.terminate()
        server.wait(10)

    worst = max(c["total_s"] for c in calls)
    result = {
        "command": "python bench/operator_intake.py " + " ".join(sys.argv[1:]),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "load_avg": os.getloadavg()},
        "typing_model": {"chinese_chars_per_s": args.cps, "keys_per_s": args.kps, "call": CALL},
        "calls": calls,
        "worst_total_s": worst,
        "target_under_60_s": worst < 60,
    }
    out = ROOT / "bench" / "results" / "operator_intake.json"
    import json

    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"worst call {worst:.1f} s (target < 60 s); written: {out}")


if __name__ == "__main__":
    main()
