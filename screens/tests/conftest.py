import pytest


@pytest.fixture
def login(client, district):
    def _login(username):
        client.force_login(district.user(username))
        return client

    return _login


# Headless Chromium for this app's browser tests: the one fixture web/tests defines
# (launch flags, skip without Chromium, fail on CI), not a copy of it.
from web.tests.conftest import browser  # noqa: E402, F401
