import json
import re
import uuid

import pytest

from verbund.accounts.models import User
from verbund.applications import queries, sealing
from verbund.applications.models import Submission
from verbund.applications.tests.conftest import PDF
from verbund.authorities.models import StaffMembership

pytestmark = pytest.mark.django_db
DEST = "stadtverwaltung-erfurt-16051000"


def key_of(client):
    destination = client.get(f"/api/v1/destinations/{DEST}").json()
    return client.get(f"/api/v1/destinations/{DEST}/keys/{destination['encryptionKid']}").json()


def announce(client, attachment_ids, key="k-1", **extra):
    body = {
        "destinationId": DEST,
        "serviceIdentifier": "wohnsitz-anmelden",
        "place": {"ags": "16051000"},
        "announcedAttachments": [str(a) for a in attachment_ids],
        **extra,
    }
    return client.post(
        "/api/v1/submissions",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_fit_connect_flow_is_idempotent_and_decryptable(client):
    jwk = key_of(client)
    assert jwk["alg"] == "RSA-OAEP-256" and "d" not in jwk and len(jwk["n"]) > 680  # 4096 bit
    attachment = uuid.uuid4()
    first = announce(client, [attachment])
    again = announce(client, [attachment])
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["submissionId"] == again.json()["submissionId"]
    assert Submission.objects.filter(idempotency_key="k-1").count() == 1
    submission_id = first.json()["submissionId"]
    upload = client.put(
        f"/api/v1/submissions/{submission_id}/attachments/{attachment}",
        sealing.seal(PDF, jwk),
        content_type="application/jose",
    )
    assert upload.status_code == 204
    document = {"data": {"familienname": "Muster"}}
    plain = sealing.canonical_json(document)
    body = {
        "encryptedData": sealing.seal(plain, jwk),
        "encryptedMetadata": sealing.seal(b'{"attachments": []}', jwk),
        "dataHash": sealing.sha256_hex(plain),
    }
    response = client.put(
        f"/api/v1/submissions/{submission_id}", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    receipt = response.json()
    assert receipt["vorgangsnummer"].startswith("VB-")
    # the access code of the API is the same readable kind as the web receipt's
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{20}", receipt["accessCode"]), receipt["accessCode"]
    repeat = client.put(
        f"/api/v1/submissions/{submission_id}", json.dumps(body), content_type="application/json"
    )
    assert repeat.json()["vorgangsnummer"] == receipt["vorgangsnummer"]
    assert Submission.objects.filter(vorgangsnummer=receipt["vorgangsnummer"]).count() == 1
    clerk = User.objects.create_user("clerk-api", kind="staff")
    StaffMembership.objects.create(
        user=clerk, authority=Submission.objects.get(pk=submission_id).authority
    )
    opened = queries.decrypt_submission_for_staff(clerk, receipt["vorgangsnummer"])
    assert opened.data == {"familienname": "Muster"} and opened.attachments[0].content == PDF


def test_reused_idempotency_key_with_other_body_is_a_conflict(client):
    assert announce(client, [], key="k-2").status_code == 201
    response = announce(client, [uuid.uuid4()], key="k-2")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"


def test_missing_attachment_and_foreign_key_are_refused(client):
    jwk = key_of(client)
    attachment = uuid.uuid4()
    submission_id = announce(client, [attachment], key="k-3").json()["submissionId"]
    body = {
        "encryptedData": sealing.seal(b"{}", jwk),
        "encryptedMetadata": sealing.seal(b"{}", jwk),
    }
    missing = client.put(
        f"/api/v1/submissions/{submission_id}", json.dumps(body), content_type="application/json"
    )
    assert missing.status_code == 422 and missing.json()["code"] == "attachments_missing"
    foreign = client.put(
        f"/api/v1/submissions/{submission_id}/attachments/{attachment}",
        sealing.seal(PDF, {**jwk, "kid": "someone-else"}),
        content_type="application/jose",
    )
    assert foreign.status_code == 422 and foreign.json()["code"] == "invalid_jwe"
    garbage = client.put(
        f"/api/v1/submissions/{submission_id}/attachments/{attachment}",
        b"not-a-jwe",
        content_type="application/jose",
    )
    assert garbage.status_code == 422
    assert Submission.objects.get(pk=submission_id).status == "announced"


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        ({"destinationId": "stadtverwaltung-jena-16053000"}, 422, "destination_not_responsible"),
        ({"serviceIdentifier": "gibt-es-nicht"}, 404, "unknown_service"),
        ({"place": {"plz": "abc"}}, 422, "invalid_plz"),
        ({"destinationId": "tmdi", "place": None}, 422, "place_missing"),
    ],
)
def test_bad_announcements_are_problem_details(client, extra, status, code):
    before = Submission.objects.count()
    response = announce(client, [], key=f"k-{code}", **extra)
    assert response.status_code == status
    assert (
        response.json()["code"] == code and response["Content-Type"] == "application/problem+json"
    )
    assert Submission.objects.count() == before


def test_openapi_documents_the_submission_api(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert (
        "/api/v1/submissions" in paths
        and "/api/v1/destinations/{destination_id}/keys/{kid}" in paths
    )
