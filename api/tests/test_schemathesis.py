"""Schemathesis against the OpenAPI schema, in-process through the WSGI app (no
network): generated requests must never cause a server error, and every response must
match the schema (status code documented, content type and body as declared).

It runs as three users, so that the scoped and masked paths are fuzzed too: the
operator (sees everything, unmasked), a street's handler (scoped; masked; confidential
callers hidden) and a supervisor (masked; confidential callers hidden). Path parameters
are sometimes replaced by real ones (an order in street A with a photo, a confidential
caller's order there) so that detail operations reach real rows, not only 404s."""

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.tests.conftest import EXEMPT_PATHS, may_see_full_numbers, unmasked_numbers
from hotline.testing import image_bytes, photos_process

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 6  # per operation and user; the suite runs twice in CI, so keep each run to seconds
USERS = ["operator", "handler_a", "supervisor"]
SECRET_NAME, SECRET_PHONE = "保密来电人", "13900009999"


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


@pytest.fixture
def real_rows(district, log_call):
    """Path parameter values that exist: an order in street A with a photo, and a
    confidential caller's order there (so handler_a sees it, without its caller)."""
    from attachments.services import attachment_add
    from workorders.services import work_order_assign

    order = log_call()
    secret = log_call(caller_confidential=True, caller_name=SECRET_NAME, caller_phone=SECRET_PHONE)
    for o in (order, secret):
        work_order_assign(order=o, actor=district.user("dispatcher"), unit=district.street_a)
    photo = attachment_add(order=order, upload=SimpleUploadedFile("p.png", image_bytes("PNG")))
    photos_process()  # a downloadable photo: processed by the worker
    return {"number": [order.number, secret.number], "attachment_id": [photo.pk, photo.pk]}


def check_privacy(response, path: str, user) -> None:
    """No full mobile number to a user who may not see one, and nothing at all of a
    confidential caller to anyone but the operator."""
    if may_see_full_numbers(user):
        return
    body = response.content.decode("utf-8", "replace")
    if not EXEMPT_PATHS.search(path):
        assert not unmasked_numbers(body), f"{path} showed {unmasked_numbers(body)} to {user}"
    assert SECRET_NAME not in body and SECRET_PHONE not in body, f"{path} showed the confidential caller to {user}"


@pytest.mark.parametrize("username", USERS)
def test_api_conforms_to_its_schema(district, real_rows, username):
    from api.tokens import api_token_create

    user = district.user(username)
    token = api_token_create(user=user, name="schemathesis")[1]
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", get_wsgi_application(), headers={"Authorization": f"Token {token}"}
    )
    failures, operations = {}, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(), pick=st.sampled_from([None, 0, 1]))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case, pick):
            if pick is not None:
                for name, values in real_rows.items():
                    if name in (case.path_parameters or {}):
                        case.path_parameters[name] = values[pick]
            response = case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
            check_privacy(response, case.formatted_path, user)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, report all
            failures[operation.label] = str(exc)[:1500]
    assert operations > 30
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_the_privacy_check_catches_a_leak(district):
    class Leaky:
        content = f"{SECRET_NAME} 13812345678".encode()

    with pytest.raises(AssertionError):
        check_privacy(Leaky(), "/api/v1/orders/1", district.user("handler_a"))
    check_privacy(Leaky(), "/api/v1/orders/1", district.user("operator"))  # the operator may see both
