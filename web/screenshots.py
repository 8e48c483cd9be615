"""Screenshots of every main page at desktop (1366×900) and phone (390×844) width,
taken from a running server with the demo district (docs/screenshots/, linked from
README).

    export DEBUG=1 HOTLINE_VAR_DIR=/tmp/shots
    .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py runserver 8765 &
    .venv/bin/python web/screenshots.py http://127.0.0.1:8765 [section ...]

Sections (all by default): operator, workbench, desk, dashboard, public, patrol.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "hotline-demo"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


SECTIONS = ("operator", "workbench", "desk", "dashboard", "public", "patrol")
# Where the demo's grid worker stands for the patrol shots: inside 滨河湾社区1号网格.
PATROL_POSITION = {"latitude": 39.9015, "longitude": 116.4015}


def main(base: str, sections: tuple[str, ...] = SECTIONS) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(
            viewport=DESKTOP, locale="zh-CN", geolocation=PATROL_POSITION, permissions=["geolocation"]
        )
        page = context.new_page()

        def shot(name: str) -> None:
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"{name}-desktop.png"), full_page=True)
            page.set_viewport_size(PHONE)
            page.screenshot(path=str(OUT / f"{name}-phone.png"), full_page=True)
            page.set_viewport_size(DESKTOP)
            print("saved", name)

        def login(user: str) -> None:
            context.clear_cookies()
            page.goto(base + "/accounts/login/")
            page.fill("#id_username", user)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()

        if "operator" in sections:
            login("operator")
            page.fill("#id_caller_phone", "13800000000")
            page.fill("#id_description", "小区门口每天傍晚有人摆摊占道，堵住了消防通道。")
            page.fill("#id_address", "滨河湾")
            page.wait_for_timeout(1200)
            shot("operator-console")
            page.goto(base + "/ops/submissions/")
            shot("operator-submissions")
            page.goto(base + "/ops/callbacks/")
            shot("operator-callbacks")
        if "workbench" in sections:
            login("street")
            shot("workbench")
            link = page.locator("table.workbench a").first
            if link.count():
                link.click()
                shot("order")
        if "desk" in sections:
            login("dispatcher")
            shot("dispatcher-desk")
            for tab in ("returned", "extensions", "replies"):
                page.goto(base + f"/desk/?tab={tab}")
                shot(f"dispatcher-desk-{tab}")
            page.goto(base + "/desk/")
            page.locator("#rows a").first.focus()
            page.keyboard.press("j")
            page.wait_for_timeout(1500)  # the pane comes in by htmx
            page.wait_for_load_state("networkidle")
            page.keyboard.press("d")
            page.keyboard.type("城管")
            shot("dispatcher-desk-picker")
            page.goto(base + "/desk/?tab=replies")
            page.select_option("select[name=language]", "en")  # the switch submits itself
            page.wait_for_load_state("networkidle")
            shot("dispatcher-desk-en")
            page.select_option("select[name=language]", "zh-hans")
            page.wait_for_load_state("networkidle")
        if "workbench" in sections:
            login("street")
            for tab in ("sign", "overdue"):
                page.goto(base + f"/unit/?tab={tab}")
                shot(f"workbench-{tab}")
        if "dashboard" in sections:
            login("supervisor")
            shot("dashboard")
            street = re.search(r'<option value="(\d+)">[^<]*街道</option>', page.content())
            if street:
                page.goto(base + f"/dashboard/?unit={street.group(1)}")
                shot("dashboard-street")
            page.goto(base + "/orders/?figure=overdue")
            shot("ledger")
            page.goto(base + "/posters/")
            shot("posters")
        if "public" in sections:
            context.clear_cookies()
            page.goto(base + "/posters/")  # login page for anonymous: skip
            login("admin")
            page.goto(base + "/posters/")
            code = re.search(r"/p/([^/]+)/", page.content())
            context.clear_cookies()
            page.set_viewport_size(PHONE)
            page.goto(base + (f"/p/{code.group(1)}/" if code else "/p/"))
            page.set_viewport_size(DESKTOP)
            shot("public-report")
            page.fill("#id_description", "小区东门路灯坏了一个多月，晚上很黑。")
            page.fill("#id_caller_phone", "13600001111")
            page.click("form.card button[type=submit]")
            page.wait_for_url("**/p/done/")
            shot("public-receipt")
            page.click("a.btn-primary")  # the tracking link, number and code filled in
            shot("public-track")
        if "patrol" in sections:
            login("gridworker")
            page.locator("#locate-hint .located").wait_for()
            page.fill("#id_category_q", "占道")
            page.fill("#id_description", "滨河湾小区东门有流动摊贩占道经营，傍晚堵住消防通道。")
            page.fill("#id_address", "滨河湾小区东门")
            shot("patrol-report")
            page.click("#patrol button[type=submit]")  # not the header's log-out button
            page.wait_for_url("**/patrol/mine/")
            shot("patrol-mine")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8765", tuple(sys.argv[2:]) or SECTIONS)
