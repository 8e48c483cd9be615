"""楼长 light accounts: a captain logs in with his phone, reports for his own buildings
(pre-filled) in the 楼长 channel, sees the reports he made with their status, and
nothing else: no staff page, no API, no other building's or caller's data."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from community.captains import captain_account_open, captain_reports
from community.models import Building, BuildingCaptain, CaptainReport
from workorders.choices import Channel, Status
from workorders.errors import InvalidInput
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def buildings(district):
    b3 = Building.objects.create(
        community=district.community_a, code="S-A-1-B3", name="3号楼", address="幸福里小区", lat=39.905, lng=116.315
    )
    b5 = Building.objects.create(
        community=district.community_a, code="S-A-1-B5", name="5号楼", address="幸福里小区", lat=39.905, lng=116.316
    )
    return b3, b5


@pytest.fixture
def zhao(buildings):
    """赵阿姨, 楼长 of 3号楼, with her account (phone 13700001234)."""
    captain = BuildingCaptain.objects.create(building=buildings[0], name="赵阿姨", phone="13700001234")
    user, password = captain_account_open(captain=captain)
    captain.password = password
    return captain


def logged_in(captain) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": captain.phone, "password": captain.password})
    assert response.status_code == 302, "the captain's phone and password log in"
    return client


def test_the_admin_opens_an_account_with_a_password_shown_once(client, district, buildings):
    captain = BuildingCaptain.objects.create(building=buildings[0], name="钱师傅", phone="13700005678")
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    response = client.post(
        "/admin/community/buildingcaptain/",
        {"action": "open_account", "_selected_action": [captain.pk]},
        follow=True,
    )
    text = response.content.decode()
    password = re.search(r"初始密码（只显示这一次）：(\S+?)<", text).group(1)
    captain.refresh_from_db()
    assert captain.user.username == "13700005678"
    assert not captain.user.memberships.exists() and not captain.user.is_staff
    home = Client()
    assert home.post("/accounts/login/", {"username": "13700005678", "password": password}).status_code == 302
    assert home.get("/").url == "/community/captain/"


def test_a_staff_phone_cannot_become_a_captains_account(district, buildings):
    from grids.models import Membership, Role

    staff = get_user_model().objects.create_user(username="13711112222")
    Membership.objects.create(user=staff, unit=district.community_a, role=Role.HANDLER)
    captain = BuildingCaptain.objects.create(building=buildings[0], name="冒名", phone="13711112222")
    with pytest.raises(InvalidInput):
        captain_account_open(captain=captain)
    captain.refresh_from_db()
    assert captain.user is None


def test_the_captain_reports_for_his_building_prefilled_in_the_captain_channel(client, district, zhao):
    captain_client = logged_in(zhao)
    page = captain_client.get("/community/captain/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "3号楼" in html and 'data-building="S-A-1-B3"' in html
    assert f'name="building" value="{zhao.building.pk}"' in html  # one building: pre-filled, not asked
    report = {"building": zhao.building.pk, "description": "3单元门禁坏了"}
    response = captain_client.post("/community/captain/", report)
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.channel == Channel.CAPTAIN and order.status == Status.SUBMITTED
    assert (order.caller_name, order.caller_phone) == ("赵阿姨", "13700001234")
    assert order.address == "幸福里小区 3号楼" and order.community == district.community_a
    assert CaptainReport.objects.get(order=order).captain == zhao
    listed = captain_client.get("/community/captain/").content.decode()
    assert order.number in listed and "待受理" in listed and "已提交" in listed
    # Counted in the figures, in the 楼长 channel.
    client.force_login(district.user("supervisor"))
    day = timezone.localdate().isoformat()
    assert 'data-figure="captain">1<' in client.get(f"/dashboard/?start={day}&end={day}").content.decode()


def test_a_captain_of_two_buildings_chooses_and_cannot_report_for_a_third(district, buildings, zhao):
    third = Building.objects.create(
        community=district.community_a, code="S-A-1-B7", name="7号楼", address="幸福里小区", lat=39.905, lng=116.317
    )
    BuildingCaptain.objects.create(building=buildings[1], name="赵阿姨", phone=zhao.phone, user=zhao.user)
    captain_client = logged_in(zhao)
    html = captain_client.get("/community/captain/").content.decode()
    assert "3号楼" in html and "5号楼" in html and "7号楼" not in html
    refused = captain_client.post("/community/captain/", {"building": third.pk, "description": "不是我的楼"})
    assert refused.status_code == 400 and not WorkOrder.objects.exists()
    captain_client.post("/community/captain/", {"building": buildings[1].pk, "description": "5号楼电梯停了"})
    assert WorkOrder.objects.get().address == "幸福里小区 5号楼"


def test_the_list_holds_only_his_own_reports(district, buildings, zhao, log_call):
    from community.buildings import building_report

    other = BuildingCaptain.objects.create(building=buildings[0], name="孙大爷", phone="13700009999")
    theirs = building_report(building=buildings[0], description="孙大爷报的：楼道堆物", captain=other)
    resident = building_report(
        building=buildings[0], description="居民扫码：邻居养狗扰民", caller_phone="13855556666", caller_name="周女士"
    )
    hotline = log_call()
    mine = building_report(building=buildings[0], description="赵阿姨报的：楼道灯坏", captain=zhao)
    assert list(captain_reports(user=zhao.user)) == [mine]
    html = logged_in(zhao).get("/community/captain/").content.decode()
    assert mine.number in html
    for order in (theirs, resident, hotline):
        assert order.number not in html
    for secret in ("13700009999", "孙大爷", "13855556666", "周女士", "邻居养狗", hotline.caller_phone):
        assert secret not in html


def test_a_stopped_captaincy_or_a_staff_user_has_no_captain_page(district, zhao):
    staff = Client()
    staff.force_login(district.user("handler_community_a"))
    assert staff.get("/community/captain/").status_code == 404
    captain_client = logged_in(zhao)
    zhao.is_active = False
    zhao.save()
    assert captain_client.get("/community/captain/").status_code == 404


# --- every other URL: the captain gets no more than an anonymous visitor ---------------

# A captain's own pages (and his own link, which works without login anyway).
CAPTAIN_PAGES = {"/community/captain/"}


def _sample_paths(values: dict[str, str]) -> list[str]:
    """One concrete path per URL pattern of the project, parameters filled from ``values``
    (a real order number, unit code, pk …)."""
    out = []

    def fill(pattern: str) -> str | None:
        pattern = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: values.get(m.group(2), values["_default"]), pattern)
        pattern = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values.get(m.group(1), values["_default"]), pattern)
        pattern = pattern.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
        return None if re.search(r"[()\[\]*+?\\|{}]", pattern) else pattern

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                path = fill(prefix + str(p.pattern))
                if path is not None:
                    out.append("/" + path.lstrip("/"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(out))


def test_every_staff_url_refuses_the_captain(district, buildings, zhao, log_call):
    from community.buildings import building_report

    order = log_call()  # someone else's order, with a caller's data in it
    building_report(building=buildings[1], description="5号楼居民扫码", caller_phone="13855556666")
    values = {
        "_default": order.number,
        "number": order.number,
        "pk": str(order.pk),
        "id": str(order.pk),
        "code": district.community_a.code,
        "token": zhao.token,
        "size": "a6",
        "fmt": "png",
        "format": "json",
        "key": "sign",
        "object_id": str(order.pk),
        "app_label": "workorders",
        "model_name": "workorder",
    }
    paths = _sample_paths(values)
    assert len(paths) > 80 and "/api/v1/orders" in paths and "/unit/" in paths
    captain_client, anonymous = logged_in(zhao), Client()
    leaks = []
    for path in paths:
        if path in CAPTAIN_PAGES or path.startswith(("/accounts/", "/static/", "/media/")):
            continue
        mine = captain_client.get(path)
        if mine.status_code >= 400 or mine.status_code in (301, 302):
            # Refused, or sent elsewhere (the login page, the captain's own page).
            target = mine.get("Location", "") if mine.status_code in (301, 302) else ""
            elsewhere = target and not target.startswith(("/accounts/login/", "/community/captain/"))
            if elsewhere and anonymous.get(path).status_code not in (301, 302):
                leaks.append(f"{path}: redirects the captain to {target}")
            continue
        if anonymous.get(path).status_code != mine.status_code:
            leaks.append(f"{path}: {mine.status_code} for the captain, not public")
        elif order.caller_phone in mine.content.decode(errors="ignore"):
            leaks.append(f"{path}: shows a caller's number")
    assert not leaks, "\n".join(leaks)


def test_the_api_refuses_the_captain_with_a_session_or_a_password(zhao, log_call):
    order = log_call()
    captain_client = logged_in(zhao)
    for path in ("/api/v1/orders", f"/api/v1/orders/{order.number}", "/api/v1/units"):
        assert captain_client.get(path).status_code in (401, 403, 404), path
    response = captain_client.post(f"/api/v1/orders/{order.number}/sign", {}, content_type="application/json")
    assert response.status_code in (401, 403, 404)
    escalate = captain_client.post(
        f"/community/api/orders/{order.number}/escalate", {"to": "street", "note": "x"}, content_type="application/json"
    )
    assert escalate.status_code in (401, 403, 404)


def test_the_captains_page_in_english(district, zhao):
    from hotline.tests.test_i18n import untranslated, visible_text

    captain_client = logged_in(zhao)
    report = {"building": zhao.building.pk, "description": "门禁坏了"}
    captain_client.post("/community/captain/", report, HTTP_ACCEPT_LANGUAGE="en")
    html = captain_client.get("/community/captain/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    parts = visible_text(html)
    assert "My reports" in parts and "The problem" in parts
    data = ("幸福里", "3号楼", "门禁坏了", "赵阿姨", district.community_a.name)
    assert not [p for p in untranslated(parts) if not any(d in p for d in data)]


def test_an_empty_report_is_refused_with_a_message(zhao):
    captain_client = logged_in(zhao)
    response = captain_client.post("/community/captain/", {})
    assert response.status_code == 400 and 'class="error"' in response.content.decode()
    assert not WorkOrder.objects.exists()
