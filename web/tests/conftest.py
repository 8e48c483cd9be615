import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"  # Debian's (make browser-deps); Playwright's download is not reachable


@pytest.fixture
def login(client, district):
    def _login(username):
        client.force_login(district.user(username))
        return client

    return _login


def export_url(params: dict | None = None) -> str:
    """Where the order list's export form posts: the list's filters in the query string
    (a POST asks for the ledger; a GET must not start an export)."""
    from django.urls import reverse
    from django.utils.http import urlencode

    return reverse("web:orders_export") + ("?" + urlencode(params) if params else "")


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


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for the browser tests. Missing Chromium skips them on a
    developer's machine, but fails CI (CI=true), where make browser-deps installs it."""
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (make browser-deps)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests
    # make between page actions are still plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield b
        b.close()
