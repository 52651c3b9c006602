"""Bad input at the edges: JWE a sender must not get past the header check, attachments
changed after submitting, and payment messages that are signed but wrong."""

import base64
import json
import uuid

import pytest

from verbund.applications import actions, sealing
from verbund.applications.models import Payment, Submission, SubmissionAttachment
from verbund.applications.tests.conftest import PDF
from verbund.applications.tests.test_api import announce, key_of
from verbund.integrations import payment as payment_api

pytestmark = pytest.mark.django_db


def _b64(data: dict | bytes) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _with_header(token: str, header: dict) -> str:
    return ".".join([_b64(header), *token.split(".")[1:]])


def _upload(client, submission_id, attachment, body):
    return client.put(
        f"/api/v1/submissions/{submission_id}/attachments/{attachment}",
        body,
        content_type="application/jose",
    )


def test_malformed_sender_jwe_is_refused_and_nothing_is_stored(client, settings):
    jwk = key_of(client)
    attachment = uuid.uuid4()
    submission_id = announce(client, [attachment], key="k-checks").json()["submissionId"]
    good = sealing.seal(PDF, jwk)
    header = json.loads(base64.urlsafe_b64decode(good.split(".")[0] + "=="))
    parts = good.split(".")
    bad = {
        "four parts": ".".join(parts[:4]),
        "not base64url": ".".join([*parts[:3], parts[3][:-4] + "+/==", parts[4]]),
        "impossible length": ".".join(
            [*parts[:3], parts[3] + "A" * ((1 - len(parts[3])) % 4), parts[4]]
        ),
        "other algorithm": _with_header(good, {**header, "alg": "RSA1_5"}),
        "other content cipher": _with_header(good, {**header, "enc": "A128CBC-HS256"}),
        "compressed": _with_header(good, {**header, "zip": "DEF"}),
        "other key": _with_header(good, {**header, "kid": str(uuid.uuid4())}),
        "header not an object": ".".join([_b64(b"[1]"), *parts[1:]]),
        "not ascii": "ä".join(parts).encode(),
    }
    for label, body in bad.items():
        response = _upload(client, submission_id, attachment, body)
        assert response.status_code == 422, label
        assert response.json()["code"] == "invalid_jwe", label
    assert not SubmissionAttachment.objects.filter(submission_id=submission_id).exists()
    storage_dir = settings.STORAGES["attachments"]["OPTIONS"]["location"]
    from pathlib import Path

    assert not list(Path(storage_dir).glob(f"submissions/{submission_id}/*"))
    assert _upload(client, submission_id, attachment, good).status_code == 204


def test_attachments_cannot_change_after_submitting(client):
    jwk = key_of(client)
    attachment = uuid.uuid4()
    submission_id = announce(client, [attachment], key="k-closed").json()["submissionId"]
    first = sealing.seal(PDF, jwk)
    assert _upload(client, submission_id, attachment, first).status_code == 204
    body = {
        "encryptedData": sealing.seal(b'{"data":{}}', jwk),
        "encryptedMetadata": sealing.seal(b"{}", jwk),
    }
    done = client.put(
        f"/api/v1/submissions/{submission_id}", json.dumps(body), content_type="application/json"
    )
    assert done.status_code == 200
    # the same file again is harmless, another one is refused
    assert _upload(client, submission_id, attachment, first).status_code == 204
    changed = _upload(client, submission_id, attachment, sealing.seal(PDF + b"x", jwk))
    assert changed.status_code == 409 and changed.json()["code"] == "submission_closed"
    stored = SubmissionAttachment.objects.get(pk=attachment)
    assert stored.ciphertext_sha256 == sealing.sha256_hex(first.encode())
    # and the submission with other data is refused too
    body["encryptedData"] = sealing.seal(b'{"data":{"x":1}}', jwk)
    again = client.put(
        f"/api/v1/submissions/{submission_id}", json.dumps(body), content_type="application/json"
    )
    assert again.status_code == 409
    assert Submission.objects.get(pk=submission_id).status == Submission.Status.RECEIVED


def _payment(client) -> Payment:
    from verbund.applications.tests.factories import start

    step = start(client, "anwohnerparkausweis", ags="16051000")
    base = step.rsplit("/schritt/", 1)[0]
    import datetime

    client.post(
        f"{base}/schritt/1/",
        {
            "f-parkgebiet": "A1",
            "f-kennzeichen": "EF-AB 123",
            "f-halter_ist_antragsteller": "true",
            "f-dauer_monate": "24",
            "f-beginn": datetime.date.today().isoformat(),
            "action": "next",
        },
    )
    response = client.post(f"{base}/zusammenfassung/", {"consent": "1"})
    number = response["Location"].split("/")[2]
    client.post(f"/vorgang/{number}/bezahlen/")
    return Payment.objects.get(submission__vorgangsnummer=number)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"grossAmount": "1.00"}, "payment_amount"),
        ({"grossAmount": "viel"}, "payment_amount"),
        ({"requestId": "gibt-es-nicht"}, "unknown_payment"),
        ({"status": "GESCHENKT"}, "payment_signature"),
    ],
)
def test_signed_but_wrong_payment_messages_change_nothing(client, change, code):
    payment = _payment(client)
    body = {
        "requestId": payment.request_id,
        "status": "PAYED",
        "grossAmount": str(payment.amount),
        "currency": "EUR",
        **change,
    }
    response = client.post(
        "/zahlung/rueckmeldung/",
        data=payment_api.canonical(body),
        content_type="application/json",
        HTTP_X_VERBUND_SIGNATURE=payment_api.sign(body, actions.payment_secret()),
    )
    assert response.status_code == 400 and response.json()["code"] == code
    payment.refresh_from_db()
    assert payment.status == Payment.Status.INITIAL
    assert payment.submission.released_at is None
