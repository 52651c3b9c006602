"""Regression tests of the back office against what an unauthenticated sender can seal
(issue 11, findings 4 and 12): the clerk's pages answer, and say what is wrong."""

from __future__ import annotations

import base64
import json
import re
import uuid

import pytest

from verbund.applications.tests.conftest import PNG
from verbund.applications.tests.test_api import announce, key_of
from verbund.core import sealing

pytestmark = pytest.mark.django_db


def submit_sealed(client, *, metadata: bytes, data: bytes) -> str:
    """Submit through the public API what any sender may seal; returns the Vorgangsnummer."""
    jwk = key_of(client)
    submission_id = announce(client, [], key=str(uuid.uuid4())).json()["submissionId"]
    body = {
        "encryptedData": sealing.seal(data, jwk),
        "encryptedMetadata": sealing.seal(metadata, jwk),
    }
    response = client.put(
        f"/api/v1/submissions/{submission_id}", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return str(response.json()["vorgangsnummer"])


DEEP = b"[" * 10_000 + b"]" * 10_000


@pytest.mark.parametrize(
    ("metadata", "data", "problem"),
    [
        (b"[1, 2, 3]", b"{}", "kein JSON-Objekt"),
        (b'{"attachments": [1, 2]}', b"{}", "Anhang 1"),
        (b'{"attachments": 7}', b"{}", "nicht als Liste"),
        (b'{"a": ' + DEEP + b"}", b"{}", "verschachtelt"),
        (b"{}", DEEP, "verschachtelt"),
        (b"{}", b'["kein", "Objekt"]', "kein JSON-Objekt"),
    ],
)
def test_malformed_sealed_metadata_is_shown_to_the_clerk_not_a_500(
    client, login_staff, staff, metadata, data, problem
):
    number = submit_sealed(client, metadata=metadata, data=data)
    login_staff(client, staff["clerk"])
    response = client.get(f"/sachbearbeitung/vorgang/{number}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="problems"' in html and problem in html


def test_attachment_download_survives_crlf_and_quotes_and_takes_the_type_from_the_content(
    client, login_staff, staff
):
    # given: a PNG the sender calls an HTML page, with CR/LF and quotes in its name
    attachment_id = uuid.uuid4()
    metadata = {
        "attachments": [
            {
                "id": str(attachment_id),
                "filename": 'bild.png"\r\nSet-Cookie: x=1; a="',
                "mediaType": "text/html",
                "sha256": sealing.sha256_hex(PNG),
            }
        ]
    }
    jwk = key_of(client)
    submission_id = announce(client, [attachment_id], key="crlf").json()["submissionId"]
    client.put(
        f"/api/v1/submissions/{submission_id}/attachments/{attachment_id}",
        sealing.seal(PNG, jwk),
        content_type="application/jose",
    )
    body = {
        "encryptedData": sealing.seal(b"{}", jwk),
        "encryptedMetadata": sealing.seal(json.dumps(metadata).encode(), jwk),
    }
    receipt = client.put(
        f"/api/v1/submissions/{submission_id}", json.dumps(body), content_type="application/json"
    ).json()
    login_staff(client, staff["clerk"])
    # when
    response = client.get(
        f"/sachbearbeitung/vorgang/{receipt['vorgangsnummer']}/anhang/{attachment_id}/"
    )
    # then
    assert response.status_code == 200 and response.content == PNG
    assert response["Content-Type"] == "image/png"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition and "\n" not in disposition
    # one quoted-string (RFC 9110), its quotes escaped: nothing breaks out of the file name
    assert re.fullmatch(r'attachment; filename="(?:[^"\\]|\\.)*"', disposition), disposition
    assert not response.has_header("Set-Cookie") and "x" not in response.cookies


CRAFTED_INBOX_QUERIES = [
    {"after": "garbage"},
    {"after": "%%%"},
    {"after": base64.urlsafe_b64encode(b"2026-01-01T00:00:00|not-a-uuid").decode()},
    {"after": base64.urlsafe_b64encode(b"2026-01-01T00:00:00|" + b"1" * 40).decode()},
    {"after": base64.urlsafe_b64encode(b"\xff\xfe").decode()},
    {"assignee": "9" * 40},
    {"assignee": "²"},
    {"assignee": "١٢"},  # Arabic-Indic digits: digits to Python, not to the database
]


@pytest.mark.parametrize("query", CRAFTED_INBOX_QUERIES)
def test_crafted_inbox_queries_are_400_on_the_page_and_in_the_api(
    client, login_staff, staff, own, case, query
):
    login_staff(client, staff["clerk"])
    page = client.get(f"/sachbearbeitung/{own.slug}/", query)
    assert page.status_code == 400
    assert 'role="alert"' in page.content.decode() or "Ungültig" in page.content.decode()
    api = client.get(f"/api/v1/casework/behoerden/{own.slug}/vorgaenge", query)
    assert api.status_code == 400
    assert api["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("tampered", ["²", "9" * 40])
def test_crafted_assignee_on_assignment_is_a_german_error(
    client, login_staff, staff, case, tampered
):
    login_staff(client, staff["clerk"])
    response = client.post(
        f"/sachbearbeitung/vorgang/{case.submission.vorgangsnummer}/aktion/zuweisen/",
        {"assignee": tampered},
        follow=True,
    )
    assert response.status_code == 422  # the form again, the error at the field
    assert "Bitte wählen Sie eine Person aus der Liste." in response.content.decode()
