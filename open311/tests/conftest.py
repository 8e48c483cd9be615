# Open311 is public: the masking scan runs on every response here too (anonymous
# clients must never receive a full mobile number).
import pytest
from django.test import Client

from api.tests.conftest import masking_scan  # noqa: F401


def check_published(body: str) -> None:
    """Nothing in a published body is left for the redaction to remove, and no caller's
    name or number (from the orders in the database) appears in it at all."""
    from workorders.models import WorkOrder
    from workorders.privacy import redact_public_text

    assert redact_public_text(body) == body, f"unredacted personal data in {body[:2000]}"
    for name, phone in WorkOrder.objects.values_list("caller_name", "caller_phone"):
        assert not (len(name) >= 2 and name in body), f"caller name {name!r} published"
        assert not (phone and phone in body), f"caller phone {phone!r} published"


@pytest.fixture(autouse=True)
def publication_scan(monkeypatch):
    """Every Open311 response of this suite goes through check_published."""
    original = Client.request
    checked = []

    def request(self, **request):
        response = original(self, **request)
        if request.get("PATH_INFO", "").startswith("/open311/") and not getattr(response, "streaming", False):
            check_published(response.content.decode("utf-8", "replace"))
            checked.append(response)
        return response

    monkeypatch.setattr(Client, "request", request)
    return checked
