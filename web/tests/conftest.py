import pytest


@pytest.fixture
def login(client, district):
    def _login(username):
        client.force_login(district.user(username))
        return client

    return _login


@pytest.fixture
def assigned(district, log_call):
    """An order logged in street A and assigned to street A."""
    from workorders.services import work_order_assign

    order = log_call()
    return work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
