"""Schemathesis against the published OpenAPI document (/api/v1/openapi.json): generated
requests for every operation, through the real WSGI application and the test database.
No answer may be a 5xx, and every answer must be documented: its status code, content type,
headers and body schema (problem details for every 4xx and 503, see `verbund.api`).

Bounded and deterministic (derandomized): `VERBUND_FUZZ_EXAMPLES` examples per operation
(default 400, about 10,500 requests, a few minutes); `VERBUND_FUZZ_MIN_REQUESTS` (default
10,000) is demanded in total, and the count is printed."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

# Every answer as documented: a documented status, content type, headers and body schema.
CONFORMANCE = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = int(os.environ.get("VERBUND_FUZZ_EXAMPLES", "400"))
SENT: list[int] = []


# Django's own WSGI handler, not `verbund.wsgi`: that module refuses to load before the
# installation's database exists, and the tests run on the test database instead.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _in_the_test_transaction(db, settings):  # type: ignore[no-untyped-def]
    """Requests go through the WSGI handler inside the test's transaction: as Django's test
    client does, the handler must not close the connection after each request."""
    settings.VERBUND_SUBMISSION_API_RATE = 10**9  # the rate limit has its own test
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_generated_requests_never_get_a_5xx(case):  # type: ignore[no-untyped-def]
    # The WSGI transport hands the body over as it is: ask for it uncompressed (pages and
    # API answers are gzipped for clients that accept it).
    response = case.call(headers={"Accept-Encoding": "identity"})
    SENT.append(response.status_code)
    assert response.status_code < 500, (response.status_code, response.text[:500])
    case.validate_response(response, checks=CONFORMANCE)


def test_the_fuzzing_sent_enough_requests(capsys):  # type: ignore[no-untyped-def]
    """Runs after the generated tests of this module: reports how many requests were sent
    and how many got a 5xx (none), and demands `VERBUND_FUZZ_MIN_REQUESTS` of them."""
    if not SENT:
        pytest.skip("the generated tests did not run in this session")  # e.g. -k selection
    fives = sum(1 for status in SENT if status >= 500)
    with capsys.disabled():
        print(f"\nschemathesis: {len(SENT)} Anfragen, {fives} mit 5xx")
    assert fives == 0
    assert len(SENT) >= int(os.environ.get("VERBUND_FUZZ_MIN_REQUESTS", "10000"))
