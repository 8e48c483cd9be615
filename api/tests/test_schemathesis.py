"""Schemathesis against the OpenAPI schema, in-process through the WSGI app (no
network): generated requests must never cause a server error, and every response must
match the schema (status code documented, content type and body as declared)."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 6  # per operation; the suite runs twice in CI, so keep the whole test to seconds


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """The WSGI handler closes DB connections at the end of each request; inside a test
    transaction that would close the test's own connection (PostgreSQL). Django's test
    client disconnects the same handler for the same reason."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_throttle(monkeypatch):
    from api.views import PublicThrottle

    monkeypatch.setattr(PublicThrottle, "allow_request", lambda self, request, view: True)


def test_api_conforms_to_its_schema(district, log_call):
    from rest_framework.authtoken.models import Token

    log_call()  # one real order, so detail operations sometimes find it
    token = Token.objects.get_or_create(user=district.user("operator"))[0].key
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    failures, operations = {}, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, report all
            failures[operation.label] = str(exc)[:1500]
    assert operations > 30
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
