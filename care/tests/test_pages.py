"""未诉先办 pages: scoping (404 across grids), masking for everyone but the grid's own
staff and the center, an audit row for every full view, and the forms' errors."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from care.models import Access, KeyResident, Outcome, ResidentAccess, Visit
from care.services import visit_record
from workorders.choices import Channel
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def _page(client, care, key, url):
    client.force_login(care.user(key))
    return client.get(url)


def _resident_url(r):
    return reverse("care:resident", args=[r.pk])


@pytest.mark.parametrize("key", ["grid_worker_b", "handler_b", "handler_dept"])
def test_another_grid_street_or_department_gets_404_for_a_resident(client, care, key):
    response = _page(client, care, key, _resident_url(care.resident_a))
    assert response.status_code == 404
    assert not ResidentAccess.objects.filter(resident=care.resident_a, action=Access.VIEW).exists()


def test_a_unit_without_grids_gets_an_empty_list(client, care):
    response = _page(client, care, "handler_dept", reverse("care:residents") + "?show=all")
    assert response.status_code == 200
    body = response.content.decode()
    assert "暂无在册重点人群" in body and "王" not in body.split("<h1>")[1]
    assert 'id="overdue-by-grid"' not in body


@pytest.mark.parametrize("key", ["grid_worker_a", "handler_grid_a", "supervisor", "dispatcher", "operator"])
def test_the_grids_own_staff_and_the_center_read_in_full_and_each_view_is_audited(client, care, key):
    url = _resident_url(care.resident_a)
    for _ in range(2):
        response = _page(client, care, key, url)
        assert response.status_code == 200
        body = response.content.decode()
        assert "王秀英" in body and "13911112222" in body and "3号楼2单元501室" in body and "糖尿病" in body
    rows = ResidentAccess.objects.filter(resident=care.resident_a, action=Access.VIEW, actor=care.user(key))
    assert rows.count() == 2  # every view, not once per session
    assert rows.first().unit is not None


@pytest.mark.parametrize("key", ["handler_community_a", "handler_a", "supervisor_a", "admin"])
def test_everyone_else_who_may_see_the_resident_sees_them_masked(client, care, key):
    for url in (_resident_url(care.resident_a), reverse("care:residents") + "?show=all"):
        response = _page(client, care, key, url)
        assert response.status_code == 200
        body = response.content.decode()
        assert "王秀英" not in body and "13911112222" not in body and "501" not in body and "糖尿病" not in body
        assert "王**" in body
    assert not ResidentAccess.objects.exclude(action=Access.ADD).exists()  # nothing read in full


def test_the_phone_list_shows_todays_and_overdue_visits_and_audits_them(client, care):
    from care.services import resident_add

    later = resident_add(
        actor=care.user("grid_worker_a"), grid=care.grid_a, kind="hardship", name="赵德明", address="幸福里1号楼"
    )
    KeyResident.objects.filter(pk=later.pk).update(next_due=timezone.localdate() + timedelta(days=5))
    KeyResident.objects.filter(pk=care.resident_a.pk).update(next_due=timezone.localdate() - timedelta(days=2))
    response = _page(client, care, "grid_worker_a", reverse("care:residents"))
    body = response.content.decode()
    assert "王秀英" in body and "逾期 2 天" in body
    assert "赵德明" not in body  # not due yet: under 全部在册 only
    assert "李建国" not in body  # grid B
    assert list(ResidentAccess.objects.filter(action=Access.LIST).values_list("resident_id", flat=True)) == [
        care.resident_a.pk
    ]
    assert "赵德明" in client.get(reverse("care:residents") + "?show=all").content.decode()


def test_the_center_sees_overdue_counts_per_grid(client, care):
    KeyResident.objects.filter(pk=care.resident_b.pk).update(next_due=timezone.localdate() - timedelta(days=1))
    body = _page(client, care, "supervisor", reverse("care:residents") + "?show=overdue").content.decode()
    assert 'id="overdue-by-grid"' in body
    assert "李建国" in body and "王秀英" not in body


def test_a_grid_worker_records_a_visit_from_the_page(client, care):
    client.force_login(care.user("grid_worker_a"))
    response = client.post(_resident_url(care.resident_a), {"outcome": Outcome.MET, "notes": "血糖平稳"})
    assert response.status_code == 302
    care.resident_a.refresh_from_db()
    assert care.resident_a.next_due == timezone.localdate() + timedelta(days=7)
    assert Visit.objects.get().notes == "血糖平稳"


def test_a_visit_without_notes_comes_back_with_the_error(client, care):
    client.force_login(care.user("grid_worker_a"))
    response = client.post(_resident_url(care.resident_a), {"outcome": Outcome.MET, "notes": ""})
    assert response.status_code == 400
    assert "请填写此项" in response.content.decode()
    assert not Visit.objects.exists()


@pytest.mark.parametrize("key", ["handler_community_a", "supervisor"])
def test_a_visit_posted_by_someone_not_of_the_grid_is_refused(client, care, key):
    client.force_login(care.user(key))
    response = client.post(_resident_url(care.resident_a), {"outcome": Outcome.MET, "notes": "x"})
    assert response.status_code == 400
    assert not Visit.objects.exists()


def test_a_visit_posted_across_grids_is_404(client, care):
    client.force_login(care.user("grid_worker_b"))
    response = client.post(_resident_url(care.resident_a), {"outcome": Outcome.MET, "notes": "x"})
    assert response.status_code == 404
    assert not Visit.objects.exists()


def _visit(care):
    return visit_record(
        resident=care.resident_a, actor=care.user("grid_worker_a"), outcome=Outcome.MET, notes="暖气不热"
    )


def _png():
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buf, "PNG")
    buf.seek(0)
    buf.name = "x.png"
    return buf


def test_a_proactive_order_from_a_visit_with_a_photo(client, care):
    v = _visit(care)
    client.force_login(care.user("grid_worker_a"))
    url = reverse("care:visit_order", args=[v.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"description": "暖气不热，请供热单位检修。", "urgency": "normal", "photo": _png()})
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.channel == Channel.PROACTIVE and order.attachments.count() == 1
    page = client.get(_resident_url(care.resident_a)).content.decode()
    assert order.number in page
    again = client.post(url, {"description": "再来一次", "urgency": "normal"})
    assert again.status_code == 409
    assert WorkOrder.objects.count() == 1


def test_a_proactive_order_with_a_bad_photo_or_no_description_writes_nothing(client, care):
    v = _visit(care)
    client.force_login(care.user("grid_worker_a"))
    url = reverse("care:visit_order", args=[v.pk])
    bad = io.BytesIO(b"not an image at all")
    bad.name = "x.png"
    r1 = client.post(url, {"description": "a", "urgency": "normal", "photo": bad})
    r2 = client.post(url, {"description": "", "urgency": "normal"})
    assert (r1.status_code, r2.status_code) == (400, 400)
    assert "图片" in r1.content.decode() and "请填写需要办理的事项" in r2.content.decode()
    assert not WorkOrder.objects.exists()


@pytest.mark.parametrize("key", ["grid_worker_b", "handler_a", "supervisor"])
def test_the_order_page_is_404_outside_the_grids_own_staff(client, care, key):
    v = _visit(care)
    assert _page(client, care, key, reverse("care:visit_order", args=[v.pk])).status_code == 404


def test_registering_from_the_page_and_its_errors(client, care):
    client.force_login(care.user("grid_worker_a"))
    url = reverse("care:add")
    bad = client.post(url, {"grid": care.grid_a.pk, "kind": "disabled", "name": "周凤英", "address": "", "phone": "x"})
    assert bad.status_code == 400
    assert "电话号码格式不正确" in bad.content.decode()
    good = client.post(url, {"grid": care.grid_a.pk, "kind": "disabled", "name": "周凤英", "address": "幸福里2号楼"})
    assert good.status_code == 302
    assert KeyResident.objects.filter(name="周凤英", grid=care.grid_a).exists()
    other = client.post(url, {"grid": care.grid_b.pk, "kind": "disabled", "name": "x", "address": "y"})
    assert other.status_code == 400  # grid B is not among the worker's choices


def test_the_dashboard_shows_proactive_orders_apart(client, care):
    from care.services import visit_order_create

    visit_order_create(visit=_visit(care), actor=care.user("grid_worker_a"), description="暖气不热")
    KeyResident.objects.filter(pk=care.resident_b.pk).update(next_due=timezone.localdate() - timedelta(days=1))
    body = _page(client, care, "supervisor", reverse("web:dashboard")).content.decode()
    assert 'data-figure="proactive"' in body
    assert "重点人群逾期走访 1 人" in body
    street_a = _page(client, care, "supervisor", reverse("web:dashboard") + f"?unit={care.street_a.pk}")
    assert "重点人群逾期走访 0 人" in street_a.content.decode()  # the overdue one is in street B
    drill = _page(client, care, "supervisor", reverse("web:orders") + "?figure=proactive").content.decode()
    assert WorkOrder.objects.get().number in drill


def test_the_pages_speak_english_when_asked(client, care):
    from care.services import visit_order_create

    client.force_login(care.user("grid_worker_a"))
    body = client.get(_resident_url(care.resident_a), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Elderly living alone" in body and "Record a visit" in body and "Met at home" in body
    listing = client.get(reverse("care:residents"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Key resident visits" in listing and "Due today" in listing
    patrol = client.get(reverse("web:patrol"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Proactive (a resident&#x27;s need found before they asked)" in patrol
    visit_order_create(visit=_visit(care), actor=care.user("grid_worker_a"), description="暖气不热")
    client.force_login(care.user("supervisor"))
    dash = client.get(reverse("web:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Orders raised on visits before anyone complained" in dash


def test_a_proactive_order_from_a_patrol_is_counted_under_its_channel_and_listed_as_the_workers(client, care):
    client.force_login(care.user("grid_worker_a"))
    data = {"category": care.cat_territorial.pk, "description": "楼道灯坏了，老人夜里出行不便", "urgency": "normal"}
    assert client.post(reverse("web:patrol"), {**data, "proactive": "on"}).status_code == 302
    assert client.post(reverse("web:patrol"), data).status_code == 302
    channels = sorted(WorkOrder.objects.values_list("channel", flat=True))
    assert channels == [Channel.PATROL, Channel.PROACTIVE]
    mine = client.get(reverse("web:patrol_mine")).content.decode()
    assert all(o.number in mine for o in WorkOrder.objects.all())


def test_the_nav_counts_a_grid_workers_visits_due(client, care):
    from web.nav_counts import nav_count

    KeyResident.objects.filter(pk=care.resident_a.pk).update(next_due=timezone.localdate() - timedelta(days=1))
    assert nav_count("care:residents", care.user("grid_worker_a")) == 1
    assert nav_count("care:residents", care.user("supervisor")) == 0  # the center reads the list; it visits no one


def test_the_center_sees_who_read_a_record_and_the_grid_worker_does_not(client, care):
    _page(client, care, "grid_worker_a", _resident_url(care.resident_a))
    assert 'id="accesses"' not in _page(client, care, "grid_worker_a", _resident_url(care.resident_a)).content.decode()
    body = _page(client, care, "supervisor", _resident_url(care.resident_a)).content.decode()
    assert 'id="accesses"' in body and "grid_worker_a" in body and care.grid_a.name in body


def test_taking_a_resident_off_the_roll_from_the_page(client, care):
    client.force_login(care.user("handler_community_a"))  # masked reader: no button, and refused
    assert 'id="roll"' not in client.get(_resident_url(care.resident_a)).content.decode()
    client.post(reverse("care:resident_active", args=[care.resident_a.pk]), {"active": "0"})
    care.resident_a.refresh_from_db()
    assert care.resident_a.active
    client.force_login(care.user("grid_worker_a"))
    assert 'id="roll"' in client.get(_resident_url(care.resident_a)).content.decode()
    response = client.post(reverse("care:resident_active", args=[care.resident_a.pk]), {"active": "0"})
    assert response.status_code == 302
    care.resident_a.refresh_from_db()
    assert not care.resident_a.active
    assert "王秀英" not in client.get(reverse("care:residents") + "?show=all").content.decode()
    page = client.get(_resident_url(care.resident_a)).content.decode()
    assert 'id="visit-form"' not in page and "已不在册" in page
    assert client.get(reverse("care:resident_active", args=[care.resident_a.pk])).status_code == 405
