"""The CSP middleware's cache (hotline/csp.py): the same headers as django-csp's own
middleware on every kind of response, the policy text built once, rebuilt when the
settings change."""

import csp.middleware
import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import override_settings

from hotline.csp import CSPMiddleware


def _respond(**attrs):
    def get_response(request):
        response = HttpResponse("ok", status=attrs.pop("status", 200))
        for name, value in attrs.items():
            if name == "header":
                response[HEADER] = value
            else:
                setattr(response, name, value)
        return response

    return get_response


def _headers(middleware_class, path="/api/v1/orders", nonce=False, **attrs):
    request = RequestFactory().get(path)
    middleware = middleware_class(_respond(**attrs))
    middleware.process_request(request)
    if nonce:
        str(request.csp_nonce)  # a page that drew a nonce
    response = middleware.process_response(request, middleware.get_response(request))
    return response.get(HEADER), response.get(HEADER_REPORT_ONLY)


CASES = [
    {},
    {"status": 404},
    {"status": 500},
    {"nonce": True},
    {"_csp_update": {"img-src": ["https://tiles.example"]}},
    {"_csp_replace": {"script-src": None}},
    {"_csp_exempt": True},
    {"header": "default-src 'none'"},
    {"path": "/static/x.css"},
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize(
    "policy",
    [
        {},
        {
            "CONTENT_SECURITY_POLICY_REPORT_ONLY": {"DIRECTIVES": {"default-src": ["'self'"]}},
            "CONTENT_SECURITY_POLICY": {"EXCLUDE_URL_PREFIXES": ["/static/"], "DIRECTIVES": {"img-src": ["'self'"]}},
        },
        {"DEBUG": True},
    ],
)
def test_every_response_gets_the_headers_django_csp_gives_it(case, policy):
    with override_settings(**policy):
        cached, own = _headers(CSPMiddleware, **case), _headers(csp.middleware.CSPMiddleware, **case)
    if case.get("nonce"):  # a fresh nonce each time: compare the rest
        cached, own = [tuple(h.split("'nonce-")[0] if h else h for h in pair) for pair in (cached, own)]
    assert cached == own


def test_the_policy_text_is_built_once_and_again_after_the_settings_change(client, monkeypatch):
    calls = []
    original = csp.middleware.build_policy
    monkeypatch.setattr(csp.middleware, "build_policy", lambda **kw: calls.append(kw) or original(**kw))
    import hotline.csp

    monkeypatch.setattr(hotline.csp, "build_policy", lambda **kw: calls.append(kw) or original(**kw))
    first = client.get("/healthz")
    second = client.get("/healthz")
    assert "default-src 'self'" in second[HEADER] and second[HEADER] == first[HEADER]
    assert len(calls) <= 2  # the first response built both headers at most; the second none
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        assert client.get("/healthz")[HEADER] == "default-src 'none'"
    assert client.get("/healthz")[HEADER] == first[HEADER]
