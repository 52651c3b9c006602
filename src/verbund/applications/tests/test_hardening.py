"""Regression tests of the platform hardening (issue 11): what an attacker or an unlucky
network did to the public submission paths, and what the platform answers now."""

from __future__ import annotations

import json

import pytest

from verbund.applications import extensions, queries, sealing
from verbund.applications.models import Submission
from verbund.applications.tests.test_api import DEST, announce, key_of

pytestmark = pytest.mark.django_db


def sealed_body(jwk: dict) -> dict[str, str]:
    plain = sealing.canonical_json({"data": {"familienname": "Muster"}})
    return {
        "encryptedData": sealing.seal(plain, jwk),
        "encryptedMetadata": sealing.seal(b'{"attachments": []}', jwk),
        "dataHash": sealing.sha256_hex(plain),
    }


def test_retried_completion_returns_exactly_the_first_response_with_the_access_code(
    client, monkeypatch
):
    # given: an announced submission whose first completion dies inside the transaction
    jwk = key_of(client)
    submission_id = announce(client, [], key="retry-1").json()["submissionId"]
    body = json.dumps(sealed_body(jwk))
    url = f"/api/v1/submissions/{submission_id}"

    def killed(*args, **kwargs):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patched:
        patched.setattr(extensions, "notify_released", killed)
        client.raise_request_exception = False
        assert client.put(url, body, content_type="application/json").status_code == 500
        client.raise_request_exception = True
    assert Submission.objects.get(pk=submission_id).status == "announced"
    # when: the sender retries, and retries again (its answer was lost on the way)
    first = client.put(url, body, content_type="application/json")
    again = client.put(url, body, content_type="application/json")
    # then: both answers are the same receipt, and its access code opens the status page
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    code = first.json()["accessCode"]
    submission = Submission.objects.get(pk=submission_id)
    assert code and queries.token_hash(code) == submission.status_secret_hash
    assert submission.first_response and code not in submission.first_response  # encrypted


def test_public_submission_api_is_rate_limited_per_client(client, settings):
    settings.VERBUND_SUBMISSION_API_RATE = 3

    def destination(address: str):  # type: ignore[no-untyped-def]
        return client.get(f"/api/v1/destinations/{DEST}", REMOTE_ADDR=address)

    for _ in range(3):
        assert destination("198.51.100.7").status_code == 200
    refused = destination("198.51.100.7")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert refused.json()["code"] == "rate_limited"
    assert destination("198.51.100.8").status_code == 200  # another client is not affected
