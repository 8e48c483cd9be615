"""The Content-Security-Policy forbids inline script and style (script-src/style-src
'self'); every page each role sees must work under it: no <script> without src, no
on*="…" handlers, no style="…" attributes, no <style> elements, no javascript: URLs."""

import re

import pytest
from django.contrib.auth import get_user_model

from hotline.tests.test_no_external_assets import parameterless_routes

INLINE = re.compile(
    r"<script(?![^>]*\ssrc=)[^>]*>\s*\S"  # an inline script with a body
    r"|<style[\s>]"
    r"|\son[a-z]+\s*=\s*[\"']"
    r"|\sstyle\s*=\s*[\"']"
    r"|(?:href|src|action)\s*=\s*[\"']\s*javascript:",
    re.I,
)
ROLES = ["operator", "dispatcher", "supervisor", "handler_a", "grid_worker_a", "supervisor_a"]


def _pages(client, urls):
    for url in urls:
        response = client.get(url)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            yield url, response


def _offenders(pages) -> tuple[list[str], int]:
    found, checked = [], 0
    for url, response in pages:
        checked += 1
        assert "script-src 'self'" in response["Content-Security-Policy"], url
        hits = INLINE.findall(response.content.decode(errors="replace"))
        if hits:
            found.append(f"{url}: {hits[:3]}")
    return found, checked


@pytest.mark.django_db
def test_every_page_of_every_role_passes_the_csp(client, district, log_call):
    order = log_call()
    routes = sorted(set(parameterless_routes()))
    offenders, checked = [], 0
    for role in ROLES:
        client.force_login(district.user(role))
        found, n = _offenders(_pages(client, [*routes, f"/orders/{order.number}/", "/dashboard/?period=90"]))
        offenders += [f"{role} {x}" for x in found]
        checked += n
    client.logout()
    found, n = _offenders(_pages(client, ["/accounts/login/", "/p/", f"/p/{district.community_a.code}/", "/track/"]))
    offenders, checked = offenders + found, checked + n
    assert checked >= 25
    assert not offenders, offenders


@pytest.mark.django_db
def test_admin_and_api_docs_pass_the_csp(client, district, log_call):
    log_call()
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw-root-long"))
    urls = ["/admin/", "/admin/workorders/workorder/", "/admin/grids/orgunit/add/", "/api/v1/docs/"]
    offenders, checked = _offenders(_pages(client, urls))
    assert checked == len(urls)
    assert not offenders, offenders
