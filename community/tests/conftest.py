import pytest
from rest_framework.test import APIClient

from api.tests.conftest import masking_scan  # noqa: F401 - every API response is scanned here too


@pytest.fixture
def camera(district):
    """A video-analysis source in street A with its own key, placing what it finds in
    占道经营 unless it says otherwise."""
    from community.monitor import monitor_source_create

    source, key = monitor_source_create(
        code="cam-a", name="甲街道视频分析", unit=district.street_a, default_category=district.cat_territorial
    )
    return source, key


class FakeSource:
    """A monitoring system as it talks to us: HTTP with its token, JSON or multipart."""

    def __init__(self, key: str):
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    def report(self, *, photo: bytes | None = None, **fields):
        body = {"title": "占道经营", "lat": 39.905, "lng": 116.305, **fields}
        if photo is None:
            return self.client.post("/community/api/monitor/events/", body, format="json")
        from django.core.files.uploadedfile import SimpleUploadedFile

        body["photo"] = SimpleUploadedFile("frame.jpg", photo, content_type="image/jpeg")
        return self.client.post("/community/api/monitor/events/", body, format="multipart")


@pytest.fixture
def root_client(client, district):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.fixture(autouse=True)
def _no_leftover_nudges():
    """Outbox names queued in a test's rolled-back transaction ride along with the next
    commit in this thread (workorders/outbox.py); drop ours so a later test in the same
    process does not see a community.upstream_report nudge it never caused."""
    yield
    from workorders import outbox

    names = getattr(outbox._pending, "names", None)
    if names:
        names.clear()
