"""Regression tests of the platform hardening (issue 11): what an attacker or an unlucky
network did to the public submission paths, and what the platform answers now."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from verbund.applications import extensions, queries, sealing
from verbund.applications.models import Draft, Submission
from verbund.applications.tests.conftest import PDF
from verbund.applications.tests.factories import fill_wohnsitz, start
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


def test_documented_attachment_sizes_work_and_larger_bodies_get_413(client, settings):
    # given: the documented limit of 10 MB per attachment
    assert settings.VERBUND_ATTACHMENT_MAX_BYTES == 10 * 1024 * 1024
    jwk = key_of(client)
    fits, too_big = uuid.uuid4(), uuid.uuid4()
    submission_id = announce(client, [fits, too_big], key="size-1").json()["submissionId"]
    ten_mb = b"%PDF-1.4\n" + os.urandom(10 * 1024 * 1024 - 9)
    # when: an attachment of exactly 10 MB (about 13.4 MB as JWE) is uploaded
    response = client.put(
        f"/api/v1/submissions/{submission_id}/attachments/{fits}",
        sealing.seal(ten_mb, jwk),
        content_type="application/jose",
    )
    # then it is stored
    assert response.status_code == 204, response.content[:300]
    # and a body over the request limit is refused with problem details, not a 500
    oversized = b"x" * (settings.VERBUND_REQUEST_MAX_BYTES + 1)
    refused = client.put(
        f"/api/v1/submissions/{submission_id}/attachments/{too_big}",
        oversized,
        content_type="application/jose",
    )
    assert refused.status_code == 413
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "request_too_large"


def test_a_page_post_over_the_limit_gets_a_german_413_page(client, settings):
    settings.VERBUND_REQUEST_MAX_BYTES = 3 * 1024 * 1024
    response = client.post(
        "/e-rechnung/",
        {"document": SimpleUploadedFile("r.xml", b"<x/>" * (1024 * 1024))},
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "Anfrage zu groß" in html and "höchstens 3 MB" in html


def test_a_body_past_djangos_memory_limit_without_length_is_413_not_500(client, settings):
    # Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE) raised while the body is read
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client.raise_request_exception = False
    response = client.post(
        "/api/v1/submissions", "{" + " " * 4096 + "}", content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("url", "body", "signature"),
    [
        ("/zahlung/rueckmeldung/", b"[" * 10_000 + b"]" * 10_000, "abc"),
        ("/zahlung/rueckmeldung/", b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", "abc"),
        ("/zahlung/rueckmeldung/", b'{"requestId": "x", "status": "PAYED"}', "ünicode-ß"),
        ("/zahlung/meldung/", b"{}", "sha256=ünicode"),
    ],
)
def test_crafted_payment_messages_are_refused_with_4xx_not_500(client, url, body, signature):
    client.raise_request_exception = False
    response = client.post(
        url, data=body, content_type="application/json", HTTP_X_VERBUND_SIGNATURE=signature
    )
    assert response.status_code in (400, 403), response.status_code
    assert response["Content-Type"].startswith("application/")


def upload_step(client, step_url: str, content: bytes, name: str = "wgb.pdf"):  # type: ignore[no-untyped-def]
    base = step_url.rsplit("/schritt/", 1)[0]
    return client.post(
        f"{base}/schritt/4/",
        {
            "f-wohnungsgeberbestaetigung": SimpleUploadedFile(name, content),
            "f-kontakt_email": "erika@example.org",
            "action": "next",
        },
    )


def test_replacing_a_file_frees_the_old_one_however_often(
    client, settings, django_capture_on_commit_callbacks
):
    # given: an anonymous draft at the upload step
    step_url = start(client)
    fill_wohnsitz(client, step_url)
    draft = Draft.objects.get(pk=step_url.split("/")[2])
    storage = queries.attachment_storage()
    # when: the file is replaced more often than a draft may hold attachments
    for n in range(settings.VERBUND_ATTACHMENT_MAX_COUNT + 5):
        with django_capture_on_commit_callbacks(execute=True):
            response = upload_step(client, step_url, PDF + str(n).encode())
        assert response.status_code == 302, response.content.decode()[:500]
    # then: one attachment, one stored file
    (attachment,) = draft.attachments.all()
    assert attachment.sha256 == sealing.sha256_hex(
        PDF + str(settings.VERBUND_ATTACHMENT_MAX_COUNT + 4).encode()
    )
    _dirs, files = storage.listdir(f"drafts/{draft.pk}")
    assert files == [attachment.storage_name.rsplit("/", 1)[1]]


def test_an_anonymous_draft_has_a_storage_quota(client, settings):
    settings.VERBUND_ANONYMOUS_DRAFT_MAX_BYTES = 1000
    step_url = start(client)
    fill_wohnsitz(client, step_url)
    response = upload_step(client, step_url, PDF + b"0" * 2000)
    assert response.status_code == 422
    assert "höchstens" in response.content.decode() and "MB" in response.content.decode()
    draft = Draft.objects.get(pk=step_url.split("/")[2])
    assert draft.attachments.get().size == len(PDF)  # the earlier file is kept
