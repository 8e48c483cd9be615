"""The shared look: one stylesheet with the named components, a favicon, navigation
counters that are cheap and briefly cached, titles clipped with "…"."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from web.templatetags.web_tags import clip
from workorders.choices import Status
from workorders.models import WorkOrder


def test_the_design_system_defines_the_component_classes_pages_use():
    css = Path(finders.find("css/hotline.css")).read_text(encoding="utf-8")
    for name in (
        ".btn-primary",
        ".btn-secondary",
        ".btn-danger",
        ".tabs",
        ".tab",
        ".badge-ok",
        ".badge-bad",
        ".alert-error",
        ".card",
        "table.table",
        ".nav-count",
        "--fs-md",
        "--s4",
    ):
        assert name in css, name


def test_every_page_names_the_favicon_and_favicon_ico_is_not_a_404(client):
    body = client.get(reverse("login")).content.decode()
    assert 'rel="icon"' in body and "favicon.svg" in body
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.svg")
    assert finders.find("favicon.svg")


def test_navigation_shows_waiting_counts_for_the_operator(login, district, log_call):
    from workorders.services import work_order_submit

    for _ in range(3):
        work_order_submit(
            channel="web", title="路灯坏了", description="路灯坏了，晚上很黑。", caller_phone="13900001111"
        )
    body = login("operator").get(reverse("web:ops")).content.decode()
    assert WorkOrder.objects.filter(status=Status.SUBMITTED).count() == 3
    assert '公众诉求 <span class="nav-count"' in body and ">3</span>" in body


def test_navigation_counts_are_cached_between_pages(login, district):
    client = login("operator")
    client.get(reverse("web:ops"))
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("web:ops"))
    counts = [
        q["sql"] for q in first.captured_queries if "COUNT(" in q["sql"].upper() and "workorders_workorder" in q["sql"]
    ]
    assert counts == []  # the second page reads the counts from the cache


def test_the_desk_count_is_what_the_dispatcher_may_see(login, district, log_call):
    log_call()
    log_call()  # logged without routing: both wait on the desk
    body = login("dispatcher").get(reverse("web:desk")).content.decode()
    assert '派单台 <span class="nav-count" aria-label="2 件待办">2</span>' in body


def test_clip_never_cuts_a_latin_word_and_marks_the_cut():
    assert clip("Street lamp broken outside building", 20) == "Street lamp broken…"
    assert clip("幸福里小区门口每天傍晚有小贩摆摊", 8) == "幸福里小区门口…"
    assert clip("short", 20) == "short"
    assert clip("Supercalifragilisticexpialidocious", 10) == "Supercali…"


def test_the_console_cuts_a_long_title_at_a_word_with_an_ellipsis(login, district, log_call):
    log_call(title="Street lamp broken outside building seven")
    body = login("operator").get(reverse("web:ops")).content.decode()
    assert "Street lamp…" in body and "broke…" not in body
