import pytest
from django.test.utils import override_settings


@pytest.fixture(autouse=True)
def _notify_to_log():
    # Whatever the environment says, unit tests never call a real SMS gateway.
    with override_settings(HOTLINE_NOTIFY_BACKEND="dispatch.backends.LogBackend"):
        yield


@pytest.fixture
def routed(district, log_call, django_capture_on_commit_callbacks):
    """Log a call and let the (eager) router run after commit, as on a real accept."""

    def _routed(**overrides):
        with django_capture_on_commit_callbacks(execute=True):
            order = log_call(auto_dispatch=True, **overrides)
        order.refresh_from_db()
        return order

    return _routed
