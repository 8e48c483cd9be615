"""django-csp's middleware with the policy text built once per process (issue 14).

``csp.middleware.CSPMiddleware`` rebuilds both headers from the settings for every
response (get_policy_parts, dataclasses.asdict, build_policy twice): ~0.1 ms of a
request that costs a few. What it builds depends only on the settings unless the view
gave the response a policy of its own (django-csp's decorators) or the page drew a nonce;
those responses go through django-csp's own code, the others get the same text from a
cache that a change of the settings (``setting_changed``, as tests override them) empties.
``hotline/tests/test_csp_cache.py`` compares both ways' headers."""

from __future__ import annotations

import http.client

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as _CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed

# What django-csp's decorators set on a response: such a response has a policy of its own.
_OWN_POLICY = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")
_built: dict[str, tuple[str, str]] = {}


def _forget(*, setting: str, **_) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        _built.clear()


setting_changed.connect(_forget, dispatch_uid="hotline-csp-cache")


def _policies() -> tuple[str, str]:
    found = _built.get("")
    if found is None:
        found = _built[""] = (build_policy(), build_policy(report_only=True))
    return found


def _prefixes(name: str) -> tuple[str, ...]:
    policy = (
        settings.CONTENT_SECURITY_POLICY
        if name == "CONTENT_SECURITY_POLICY"
        else settings.CONTENT_SECURITY_POLICY_REPORT_ONLY
    )
    return tuple((policy or {}).get("EXCLUDE_URL_PREFIXES", None) or ())


class CSPMiddleware(_CSPMiddleware):
    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, a) for a in _OWN_POLICY):
            return super().process_response(request, response)
        # From here on as django-csp's process_response, with the texts from the cache.
        if response.status_code in (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND) and settings.DEBUG:
            return response
        csp, csp_ro = _policies()
        path = request.path_info
        if (
            csp
            and getattr(response, "_csp_exempt", False) is False
            and HEADER not in response
            and not path.startswith(_prefixes("CONTENT_SECURITY_POLICY"))
        ):
            response[HEADER] = csp
        if (
            csp_ro
            and getattr(response, "_csp_exempt_ro", False) is False
            and HEADER_REPORT_ONLY not in response
            and not path.startswith(_prefixes("CONTENT_SECURITY_POLICY_REPORT_ONLY"))
        ):
            response[HEADER_REPORT_ONLY] = csp_ro
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
