"""Reading photos through the API: scoped exactly like the order, served with the
stored type, a server-made name and nosniff."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from attachments.services import attachment_add
from hotline.testing import image_bytes, photos_process
from workorders.services import work_order_assign

PNG = image_bytes("PNG", color="blue")
JPEG = image_bytes("JPEG", color="green")


@pytest.fixture
def photographed(log_call, district):
    """An order assigned to street A with two photos (client names carrying personal data)."""
    order = log_call()
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    png = attachment_add(order=order, upload=SimpleUploadedFile("张三-13812345678.png", PNG, "image/png"))
    jpeg = attachment_add(order=order, upload=SimpleUploadedFile("../evil.html", JPEG, "text/html"))
    photos_process()  # the worker's re-encoding (attachments/processing.py)
    png.refresh_from_db()
    jpeg.refresh_from_db()
    return order, png, jpeg


def test_list_names_photos_by_order_number_and_links_the_download(api, photographed):
    order, png, jpeg = photographed
    r = api("operator").get(f"/api/v1/orders/{order.number}/attachments")
    assert r.status_code == 200
    assert [(row["id"], row["name"], row["content_type"], row["size"]) for row in r.json()] == [
        (png.pk, f"{order.number}-{png.pk}.png", "image/png", png.size),
        (jpeg.pk, f"{order.number}-{jpeg.pk}.jpg", "image/jpeg", jpeg.size),
    ]
    assert r.json()[0]["url"] == f"http://testserver/api/v1/orders/{order.number}/attachments/{png.pk}"
    assert "张三" not in r.content.decode() and "evil" not in r.content.decode()


def test_download_streams_the_stored_type_with_a_safe_name_and_nosniff(api, photographed):
    order, png, jpeg = photographed
    r = api("handler_a").get(f"/api/v1/orders/{order.number}/attachments/{jpeg.pk}", HTTP_ACCEPT="image/*")
    assert r.status_code == 200 and r.streaming
    jpeg.file.open("rb")
    assert b"".join(r.streaming_content) == jpeg.file.read()  # as stored (re-encoded, no metadata)
    assert r["Content-Type"] == "image/jpeg"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"] == f'inline; filename="{order.number}-{jpeg.pk}.jpg"'
    assert "private" in r["Cache-Control"] and "sandbox" in r["Content-Security-Policy"]


@pytest.mark.parametrize("user", ["handler_b", "handler_dept", "supervisor_a_other"])
def test_out_of_scope_order_is_404_for_list_and_download(api, photographed, district, user):
    order, png, _ = photographed
    if user == "supervisor_a_other":
        from grids.models import Role
        from hotline.testing import make_user

        district.users[user] = make_user(user, district.street_b, Role.SUPERVISOR)
    listing = api(user).get(f"/api/v1/orders/{order.number}/attachments")
    assert listing.status_code == 404 and listing.json()["code"] == "not_found"
    # A client asking for an image still gets its 404 as JSON (not a 406).
    download = api(user).get(f"/api/v1/orders/{order.number}/attachments/{png.pk}", HTTP_ACCEPT="image/png")
    assert download.status_code == 404 and download["Content-Type"] == "application/json"
    assert download.json()["code"] == "not_found"


def test_in_scope_units_and_center_roles_read_photos(api, photographed):
    order, png, _ = photographed
    for user in ("operator", "dispatcher", "supervisor", "supervisor_a", "handler_a"):
        assert api(user).get(f"/api/v1/orders/{order.number}/attachments/{png.pk}").status_code == 200, user


def test_an_attachment_of_another_order_is_404_even_when_both_are_visible(api, photographed, log_call):
    order, png, _ = photographed
    other = log_call()
    assert api("operator").get(f"/api/v1/orders/{other.number}/attachments/{png.pk}").status_code == 404
    assert api("operator").get(f"/api/v1/orders/{order.number}/attachments/999999").status_code == 404
    assert api("operator").get(f"/api/v1/orders/{other.number}/attachments").json() == []


def test_a_confidential_callers_photos_follow_the_order_but_reveal_no_caller(api, log_call, district):
    order = log_call(caller_confidential=True, caller_name="李四")
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    photo = attachment_add(order=order, upload=SimpleUploadedFile("李四家门口.png", PNG, "image/png"))
    photos_process()
    listed = api("handler_a").get(f"/api/v1/orders/{order.number}/attachments")
    assert listed.status_code == 200 and "李四" not in listed.content.decode()
    r = api("handler_a").get(f"/api/v1/orders/{order.number}/attachments/{photo.pk}")
    assert r.status_code == 200 and "李四" not in r["Content-Disposition"]
    assert api("handler_b").get(f"/api/v1/orders/{order.number}/attachments/{photo.pk}").status_code == 404


def test_attachments_need_credentials(api, photographed):
    order, png, _ = photographed
    assert api().get(f"/api/v1/orders/{order.number}/attachments").status_code == 401
    assert api().get(f"/api/v1/orders/{order.number}/attachments/{png.pk}").status_code == 401


def test_attachment_endpoints_are_in_the_schema(api, district):
    paths = api("operator").get("/api/v1/schema/?format=json").json()["paths"]
    listing = paths["/api/v1/orders/{number}/attachments"]["get"]
    download = paths["/api/v1/orders/{number}/attachments/{attachment_id}"]["get"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert set(download["responses"]["200"]["content"]) == {"image/jpeg", "image/png", "image/gif", "image/webp"}
    assert "404" in download["responses"]
