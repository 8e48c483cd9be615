"""/open-data/: the daily snapshot (CSV, JSON) and the service levels, crawled for the
personal data planted in the orders."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from open311.models import OpenDataExport
from open311.opendata import COLUMNS, open_data_export
from open311.tasks import open_data_publish
from open311.tests.conftest import check_published
from workorders.models import Deadline
from workorders.services import work_order_answer_now, work_order_assign

NAME, PHONE, ID_NUMBER = "欧阳娜娜", "13987654321", "110101199003071234"
PLANTED = (NAME, PHONE, ID_NUMBER, "幸福里3号楼2单元501", "ouyang@example.com")


@pytest.fixture
def planted(log_call, district):
    text = f"我是{NAME}，手机{PHONE}，身份证{ID_NUMBER}，邮箱ouyang@example.com，住幸福里3号楼2单元501，门口占道。"
    open_ = log_call(caller_name=NAME, caller_phone=PHONE, description=text)
    work_order_assign(order=open_, actor=district.user("dispatcher"), unit=district.street_a)
    # A stage that ran past its limit: the order is not on time.
    Deadline.objects.filter(order=open_).update(breached_at=timezone.now())
    closed = log_call(category=district.cat_department, caller_name="司马光", description="司马光说路灯坏了")
    work_order_answer_now(order=closed, actor=district.user("operator"), answer=f"已告知{NAME}")
    secret = log_call(caller_confidential=True, description="楼下垃圾站很臭，请保密")
    return open_, closed, secret


def crawl(client):
    """The page and every file it links to."""
    page = client.get("/open-data/")
    assert page.status_code == 200
    bodies = {"/open-data/": page.content.decode()}
    for href in sorted(set(re.findall(r'href="(/open-data/[^"]+)"', bodies["/open-data/"]))):
        r = client.get(href)
        assert r.status_code == 200, href
        bodies[href] = r.content.decode("utf-8-sig")
    return bodies


def test_no_export_leaks_a_phone_id_number_or_name(client, planted):
    open_, closed, secret = planted
    bodies = crawl(Client())
    assert {p.rsplit(".", 1)[-1] for p in bodies if p != "/open-data/"} == {"csv", "json"}
    for where, body in bodies.items():
        for private in (*PLANTED, "司马光", "138****", open_.tracking_code, "已告知", "垃圾站很臭", secret.number):
            assert private not in body, (where, private)
        check_published(body)  # nothing left for the redaction, no caller's name or phone
    assert open_.number in bodies[next(p for p in bodies if p.endswith(".json"))]


def test_the_scan_would_catch_a_leak(planted):
    with pytest.raises(AssertionError):
        check_published(f"手机{PHONE}")
    with pytest.raises(AssertionError):
        check_published(f"{NAME}反映")


def test_export_shape_in_csv_and_json(planted, district):
    open_, closed, secret = planted
    export = open_data_export()
    rows = json.loads(export.json)
    assert [r["service_request_id"] for r in rows] == [open_.number, closed.number]
    assert all(list(r) == COLUMNS for r in rows)
    first, second = rows
    assert (first["service_code"], first["service_name"], first["status"]) == ("0101", "占道经营", "open")
    assert first["status_description"] == "待签收" and first["street"] == "甲街道"
    assert first["on_time"] is False and first["expected_datetime"]
    assert first["description"].startswith("我是[姓名]，手机139****4321，身份证[身份证号]")
    assert (second["status"], second["on_time"], second["expected_datetime"]) == ("closed", True, None)
    table = list(csv.DictReader(io.StringIO(export.csv)))
    assert list(table[0]) == COLUMNS and table[0]["on_time"] == "false" and table[1]["on_time"] == "true"
    assert table[1]["expected_datetime"] == ""


def test_the_page_publishes_the_service_levels(client, district):
    body = client.get("/open-data/").content.decode()
    assert "各类诉求的办理时限" in body
    assert re.search(r"<td>0101</td><td>[^<]+</td><td>30 分钟</td><td>[^<]+</td><td>7 天</td>", body), body
    assert "1 工作日" in body and "15 天" in body


def test_a_day_is_made_once_and_old_ones_are_dropped(planted):
    today = timezone.localdate()
    old = open_data_export(day=today - timedelta(days=30))
    first = open_data_publish()
    assert first["day"] == today.isoformat() and first["rows"] == 2
    assert open_data_publish() == first and OpenDataExport.objects.filter(day=today).count() == 1
    assert not OpenDataExport.objects.filter(pk=old.pk).exists()
    out = io.StringIO()
    call_command("open_data_export", "--day", (today - timedelta(days=1)).isoformat(), stdout=out)
    assert "rows" in out.getvalue()


def test_unknown_day_or_format_is_404(client, district):
    assert client.get("/open-data/requests-2020-01-01.csv").status_code == 404
    assert client.get("/open-data/requests-2020-13-45.csv").status_code == 404
    assert client.get("/open-data/requests-2020-01-01.xlsx").status_code == 404
