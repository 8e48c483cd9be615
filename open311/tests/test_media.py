"""media_url on POST: refused while fetching is disabled; when enabled, fetched from a
real local HTTP server with the size, type and time limits and the upload checks."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from attachments.models import Attachment
from hotline.testing import image_bytes
from open311.services import open311_api_key_create
from workorders.models import WorkOrder

WHERE = {"service_code": "0101", "lat": "39.905", "long": "116.305", "description": "占道摆摊"}
PNG = image_bytes("PNG", size=(8, 8))


class Handler(BaseHTTPRequestHandler):
    routes = {
        "/photo.png": ("image/png", PNG),
        "/page.html": ("text/html", b"<html>hi</html>"),
        "/fake.png": ("image/png", b"this is not an image at all"),
        "/big.png": ("image/png", PNG + b"\0" * 3000),
    }

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == "/slow.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            for _ in range(40):  # trickles past the whole-fetch deadline
                self.wfile.write(b"\0")
                self.wfile.flush()
                time.sleep(0.1)
            return
        if self.path not in self.routes:
            self.send_error(404)
            return
        kind, body = self.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        if self.path != "/big.png":  # no Content-Length: the streamed cap must catch it
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # a free port
    httpd.daemon_threads, httpd.block_on_close = True, False  # don't wait out the slow handler
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def key(district):
    return open311_api_key_create(name="邻市 311", user=district.user("grid_worker_a"))[1]


@pytest.fixture
def fetching(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.HOTLINE_OPEN311_FETCH_MEDIA = True
    settings.HOTLINE_OPEN311_FETCH_TIMEOUT = 1
    return settings


def post(key, **params):
    return Client().post("/open311/v2/requests.json", {"api_key": key, **WHERE, **params})


def test_media_url_is_refused_while_fetching_is_disabled(key, server):
    r = post(key, media_url=f"{server}/photo.png")
    assert r.status_code == 400
    assert r.json()[0]["description"].startswith("media_url:") and "停用" in r.json()[0]["description"]
    assert not WorkOrder.objects.exists()


def test_media_url_is_fetched_and_stored_as_a_checked_attachment(key, server, fetching):
    r = post(key, media_url=f"{server}/photo.png")
    assert r.status_code == 201, r.content
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png" and attachment.order == WorkOrder.objects.get()


@pytest.mark.parametrize(
    "path,needle",
    [
        ("/page.html", "不是图片"),
        ("/fake.png", ""),
        ("/big.png", "KB"),
        ("/missing.png", "404"),
        ("/slow.png", "超时"),
    ],
)
def test_bad_media_is_refused_and_nothing_is_written(key, server, fetching, path, needle):
    fetching.HOTLINE_ATTACHMENT_MAX_BYTES = len(PNG) + 100
    r = post(key, media_url=f"{server}{path}")
    assert r.status_code == 400, r.content
    description = r.json()[0]["description"]
    assert description.startswith("media_url:") and needle in description
    assert not WorkOrder.objects.exists() and not Attachment.objects.exists()


@pytest.mark.parametrize("url", ["ftp://example.org/a.png", "file:///etc/passwd", "not a url"])
def test_only_http_urls_are_fetched(key, fetching, url):
    r = post(key, media_url=url)
    assert r.status_code == 400 and r.json()[0]["description"].startswith("media_url:")


def test_a_server_that_is_down_is_a_clear_400(key, fetching):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    r = post(key, media_url=f"http://127.0.0.1:{port}/photo.png")
    assert r.status_code == 400 and "media_url" in r.json()[0]["description"]


def test_the_refusal_is_in_english_when_asked(key):
    r = Client().post(
        "/open311/v2/requests.json",
        {"api_key": key, **WHERE, "media_url": "http://127.0.0.1:9/p.png"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert r.status_code == 400 and "remote servers is disabled" in r.json()[0]["description"]


@pytest.fixture
def photographed(log_call, district, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from attachments.services import attachment_add
    from hotline.testing import photos_process
    from workorders.services import work_order_assign

    settings.MEDIA_ROOT = tmp_path
    order = log_call()
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    attachment = attachment_add(order=order, upload=SimpleUploadedFile("p.png", PNG))
    photos_process()
    attachment.refresh_from_db()
    return order, attachment


def test_a_photo_still_processing_cannot_be_approved_nor_served(log_call, district, settings, tmp_path):
    """The bytes as sent (EXIF, GPS) are never public: approval waits for the worker."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from attachments.services import attachment_add
    from open311.models import PublishedPhoto
    from open311.services import open311_photo_publish
    from workorders.errors import InvalidInput
    from workorders.services import work_order_assign

    settings.MEDIA_ROOT = tmp_path
    order = log_call()
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)  # published
    attachment = attachment_add(order=order, upload=SimpleUploadedFile("p.png", PNG))
    staff = district.user("admin")
    staff.is_staff = True
    staff.save()
    with pytest.raises(InvalidInput) as exc:
        open311_photo_publish(attachment=attachment, actor=staff)
    assert "处理完成" in exc.value.errors["attachment"][0]
    # Approved by an older release while processing (a row forced in): still not served.
    PublishedPhoto.objects.create(attachment=attachment, approved_by=staff)
    assert Client().get(f"/open311/v2/media/{attachment.pk}").status_code == 404


def test_media_url_is_published_only_after_staff_approve_the_photo(photographed, district):
    from open311.models import PublishedPhoto
    from open311.tests.test_open311 import validate

    order, attachment = photographed
    client = Client()
    assert client.get(f"/open311/v2/requests/{order.number}.json").json()[0]["media_url"] is None
    assert client.get(f"/open311/v2/media/{attachment.pk}").status_code == 404
    staff = district.user("admin")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    admin = Client()
    admin.force_login(staff)
    r = admin.post("/admin/open311/publishedphoto/add/", {"attachment": attachment.pk})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert PublishedPhoto.objects.get().approved_by == staff
    data = client.get(f"/open311/v2/requests/{order.number}.json").json()
    validate(data, "requests.json")  # an absolute uri
    assert data[0]["media_url"] == f"http://testserver/open311/v2/media/{attachment.pk}"
    photo = client.get(f"/open311/v2/media/{attachment.pk}")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content).startswith(b"\x89PNG")


def test_photos_of_confidential_callers_cannot_be_approved(log_call, district, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from attachments.services import attachment_add
    from open311.services import open311_photo_publish
    from workorders.errors import InvalidInput, NotAllowed

    settings.MEDIA_ROOT = tmp_path
    order = log_call(caller_confidential=True)
    attachment = attachment_add(order=order, upload=SimpleUploadedFile("p.png", PNG))
    staff = district.user("admin")
    staff.is_staff = True
    staff.save()
    with pytest.raises(InvalidInput):
        open311_photo_publish(attachment=attachment, actor=staff)
    with pytest.raises(NotAllowed):
        open311_photo_publish(attachment=attachment, actor=district.user("handler_a"))
    admin = Client()
    staff.is_superuser = True
    staff.save()
    admin.force_login(staff)
    r = admin.post("/admin/open311/publishedphoto/add/", {"attachment": attachment.pk})
    assert r.status_code == 200 and "保密来电的照片不能公开" in r.content.decode()


def test_an_uploaded_media_file_is_checked_and_stored(key, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    r = post(key, media=SimpleUploadedFile("p.png", PNG))
    assert r.status_code == 201, r.content
    assert Attachment.objects.get().order == WorkOrder.objects.get()
    r = post(key, media=SimpleUploadedFile("p.png", b"not an image"))
    assert r.status_code == 400 and r.json()[0]["description"].startswith("media:")
    r = post(key, media=SimpleUploadedFile("p.png", PNG), media_url="http://127.0.0.1:9/p.png")
    assert r.status_code == 400 and r.json()[0]["description"].startswith("media:")
    assert WorkOrder.objects.count() == 1
