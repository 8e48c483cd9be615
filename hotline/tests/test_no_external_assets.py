"""No page loads code, styles, fonts or images from the internet (machines here have
none, and a city's intranet often neither): every parameterless HTML page is fetched as
a superuser and its resource tags are checked."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver

EXTERNAL = re.compile(
    r"<(?:script|img|iframe|source)[^>]*\ssrc=[\"']?(?:https?:)?//|<link[^>]*\shref=[\"']?(?:https?:)?//", re.I
)


def parameterless_routes(patterns=None, prefix=""):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from parameterless_routes(p.url_patterns, route)
        elif isinstance(p, URLPattern) and "<" not in route and "(?P" not in route and "^" not in route:
            yield "/" + route


@pytest.mark.django_db
def test_no_page_loads_anything_from_another_host(client, district, log_call):
    log_call()
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))
    offenders, checked = [], 0
    for url in sorted(set(parameterless_routes())):
        response = client.get(url)
        if "html" not in response.get("Content-Type", "") or response.status_code != 200:
            continue
        checked += 1
        found = EXTERNAL.findall(response.content.decode(errors="replace"))
        if found:
            offenders.append(f"{url}: {found[:3]}")
    assert checked >= 10
    assert not offenders, offenders
