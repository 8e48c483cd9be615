import pytest


@pytest.fixture
def login(client, district):
    def _login(username):
        client.force_login(district.user(username))
        return client

    return _login
