"""The daily pages in Chromium at desktop and phone width, in Chinese and English: the
resident's receipt fits a phone and copies, focus lands on the field the server refused,
the dashboard shows its comparisons with nothing wider than the screen, no request 404s
(the favicon), a grid worker closes what they fixed on the spot from a phone.

HOTLINE_SCREENSHOTS=1 also writes screenshots to var/screenshots/."""

import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _page(browser, *, viewport, locale="zh-CN"):
    context = browser.new_context(viewport=viewport, locale=locale)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    missing: list[str] = []
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    return page, missing


def _shot(page, name: str) -> None:
    if os.environ.get("HOTLINE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _fits(page) -> bool:
    """Nothing makes the page scroll sideways (wide tables scroll inside their wrapper)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _login(page, live_server, username: str, label=("用户名", "密码", "登录")) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label(label[0]).fill(username)
    page.get_by_label(label[1]).fill("pw-" + username)
    page.get_by_role("button", name=label[2]).click()
    page.wait_for_load_state()


def _png(path: Path) -> str:
    Image.new("RGB", (64, 48), "gray").save(path, "PNG")
    return str(path)


@pytest.mark.parametrize(
    ("locale", "width", "copy", "copied"),
    [("zh-CN", 390, "复制工单号和查询码", "已复制"), ("en-US", 360, "Copy number and code", "Copied")],
)
def test_the_receipt_fits_a_phone_and_copies(browser, live_server, district, locale, width, copy, copied, tmp_path):
    page, missing = _page(browser, viewport={"width": width, "height": 800}, locale=locale)
    try:
        page.goto(f"{live_server.url}/p/{district.community_a.code}/")
        page.locator("#id_description").fill("楼道灯坏了一个月，晚上很黑。")
        page.locator("#id_caller_phone").fill("13600001111")
        page.locator("#id_photo").set_input_files(_png(tmp_path / "p.png"))
        assert page.locator("#photo-preview").is_visible()  # previewed before it is sent
        page.locator("form button[type=submit]").last.click()
        page.locator("#receipt-number").wait_for()
        assert _fits(page)
        qr = page.locator("svg.qr")
        assert qr.is_visible() and 150 <= qr.bounding_box()["width"] <= width
        button = page.get_by_role("button", name=copy)
        button.click()
        page.get_by_role("button", name=copied).wait_for()
        number = page.locator("#receipt-number").inner_text()
        assert number in page.evaluate("navigator.clipboard.readText()")
        _shot(page, f"receipt-{locale}-{width}")
        with page.expect_download() as download:
            page.locator("a[download]").click()
        assert Image.open(io.BytesIO(Path(download.value.path()).read_bytes())).format == "PNG"
        page.locator("a.btn-primary").click()  # the tracking link: number and code filled in
        assert page.locator("#id_number").input_value() == number
        assert page.locator("#id_code").input_value()
    finally:
        page.context.close()
    assert missing == []


def test_focus_goes_to_the_field_the_server_refused(browser, live_server, district):
    page, _missing = _page(browser, viewport=PHONE)
    try:
        page.goto(f"{live_server.url}/p/{district.community_a.code}/")
        page.locator("#id_description").fill("楼道灯坏了一个月。")
        page.locator("#id_caller_phone").fill("12")  # not a phone number: refused by the server
        page.locator("form button[type=submit]").last.click()
        page.wait_for_load_state()
        assert page.evaluate("document.activeElement.id") == "id_caller_phone"
        assert page.locator("#id_description").input_value() == "楼道灯坏了一个月。"
    finally:
        page.context.close()


@pytest.mark.parametrize(
    ("locale", "viewport", "words"),
    [
        ("zh-CN", DESKTOP, ("环比", "目标 ≥95%", "排序：")),
        ("en-US", PHONE, ("Period on period", "Target ≥95%", "Sorted by:")),
    ],
)
def test_the_dashboard_shows_comparisons_and_fits(browser, live_server, district, log_call, locale, viewport, words):
    from workorders.services import work_order_assign

    work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    page, missing = _page(browser, viewport=viewport, locale=locale)
    try:
        labels = ("用户名", "密码", "登录") if locale == "zh-CN" else ("Username", "Password", "Log in")
        _login(page, live_server, "supervisor", labels)
        page.goto(live_server.url + "/dashboard/")
        body = page.locator("main").inner_text()
        for word in words:
            assert word in body, word
        assert page.locator("svg.gridmap text.place").first.text_content() == district.community_a.name
        assert page.locator("svg.gridmap path.volume-5").count() >= 1  # blue, not red
        assert page.locator('.topbar link, head link[rel="icon"]').count() >= 1
        assert _fits(page)
        page.goto(f"{live_server.url}/dashboard/?unit={district.street_a.pk}")
        assert page.locator("#ranking h2").inner_text() in ("所辖社区排名", "Communities ranked")
        _shot(page, f"dashboard-{locale}-{viewport['width']}")
    finally:
        page.context.close()
    assert missing == []


def test_a_grid_worker_closes_a_fix_from_a_phone(browser, live_server, district, tmp_path):
    from workorders.models import WorkOrder

    page, missing = _page(browser, viewport=PHONE)
    try:
        _login(page, live_server, "grid_worker_a")
        page.goto(live_server.url + "/patrol/")
        assert page.locator(".topbar").bounding_box()["height"] < 60  # one line: mark, links, log-out, language
        page.locator("#id_category").select_option(str(district.cat_territorial.pk))
        page.locator("#id_description").fill("幸福里小区东门垃圾堆放")
        page.locator("#id_photo").set_input_files(_png(tmp_path / "done.png"))
        page.get_by_label("已自行处置（现场已解决）").check()
        page.get_by_label("处置情况").fill("已清运，现场已清理。")
        assert _fits(page)
        page.locator("#patrol button[type=submit]").click()
        page.wait_for_url("**/patrol/mine/")
        order = WorkOrder.objects.get()
        assert order.status == "closed" and order.events.filter(kind="self_handle").count() == 1
        assert "已办结" in page.locator("main").inner_text()
    finally:
        page.context.close()
    assert missing == []


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_each_role_s_queue_reads_in_both_languages_and_fits(browser, live_server, district, log_call, locale, viewport):
    """The operator's two queues, the unit's workbench and an order page, each with work in
    it, in Chinese and English at desktop and 390-px phone width: the page's own words in
    the language asked for, its item listed, nothing wider than the screen, no 404."""
    from workorders.services import (
        work_order_approve,
        work_order_assign,
        work_order_reply,
        work_order_sign,
        work_order_submit,
    )

    report = work_order_submit(
        channel="qr",
        title="楼道灯坏了",
        description="3号楼楼道灯坏了一周。",
        caller_phone="13800000009",
        community=district.community_a,
    )
    handling = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    called = work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    called = work_order_sign(order=called, actor=district.user("handler_a"))
    called = work_order_reply(order=called, actor=district.user("handler_a"), reply="已修复。")
    called = work_order_approve(order=called, actor=district.user("dispatcher"))
    en = locale == "en-US"
    label = ("Username", "Password", "Log in") if en else ("用户名", "密码", "登录")
    visits = [
        ("operator", "/ops/submissions/", "Public submissions to accept" if en else "待受理的公众诉求", report),
        ("operator", "/ops/callbacks/", "Awaiting callback" if en else "待回访", called),
        ("handler_a", "/unit/", "Our unit's orders" if en else "本单位工单", handling),
        ("handler_a", f"/orders/{handling.number}/", handling.number, handling),
    ]
    page, missing = _page(browser, viewport=viewport, locale=locale)
    try:
        current = None
        for username, path, words, order in visits:
            if username != current:
                _login(page, live_server, username, label)
                current = username
            page.goto(live_server.url + path)
            heading = page.locator("h1").first.inner_text()
            assert words in heading, (path, heading)
            if en and "/ops/" in path:
                assert "1 order " in heading + " " and "1 orders" not in heading, heading  # one, not "1 orders"
            assert order.number in page.content(), path
            assert _fits(page), (path, locale, viewport)
            _shot(page, f"{username}-{path.strip('/').replace('/', '-')}-{locale}-{viewport['width']}")
        assert not missing
    finally:
        page.context.close()


def test_on_a_phone_the_current_page_s_link_is_in_view(browser, live_server, district):
    """The phone's navigation is one sideways-scrolling line; a page far along it (a grid
    worker's 重点人群走访) shows its own link, not a cut-off first letter."""
    page, missing = _page(browser, viewport=PHONE)
    try:
        _login(page, live_server, "grid_worker_a")
        page.goto(live_server.url + "/care/")
        link = page.locator('.topbar nav a[aria-current="page"]')
        box = link.bounding_box()
        nav = page.locator(".topbar nav").bounding_box()
        assert box is not None and nav is not None
        assert nav["x"] - 1 <= box["x"] and box["x"] + box["width"] <= nav["x"] + nav["width"] + 1, (box, nav)
        assert not missing
    finally:
        page.context.close()
