"""The three steps of an API submission stay near the floor of the protocol (issue 18):
their statements are counted here, so that they cannot creep back. Performance itself is
measured in bench/submissions.py (decisions 0022 and 0034)."""

import json
import uuid

import pytest
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from verbund.applications import sealing
from verbund.applications.actions import receipt as receipt_module
from verbund.applications.models import Submission
from verbund.applications.tests.conftest import PDF
from verbund.applications.tests.test_api import announce, key_of
from verbund.authorities.models import EncryptionKey
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db

# Statements that read or write data, for announce, upload and submit together: announce 4
# (destination with its key, the row, the audit chain's head and entry), upload 4 (the
# announcement, the row, head and entry), submit 4 + the back office's case (the locked row,
# its update, the case, head and both entries). The rate limit's reservation costs one more
# per 20 requests of a client (decision 0034). Before issue 18: 44; before decision 0034: 26.
MAX_DATA_STATEMENTS = 12
# Each step is one transaction (BEGIN + COMMIT in production, SAVEPOINT + RELEASE inside
# the test's own transaction), never nested: the Vorgangsnummer needs no savepoint.
TRANSACTION_STATEMENTS = 3 * 2
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _window() -> object:
    return timezone.now().replace(second=0, microsecond=0)


def test_a_submission_needs_at_most_the_counted_statements(client, settings):
    # given: production's per-process answers (form version, rollout, service terms), the
    # destination's key and warm caches
    settings.VERBUND_SUBMISSION_CACHE_SECONDS = 60
    jwk = key_of(client)
    token = sealing.seal(PDF, jwk)
    plain = sealing.canonical_json({"data": {"familienname": "Muster"}})
    body = json.dumps(
        {
            "encryptedData": sealing.seal(plain, jwk),
            "encryptedMetadata": sealing.seal(b'{"attachments": []}', jwk),
            "dataHash": sealing.sha256_hex(plain),
        }
    )

    def submit(key: str):  # type: ignore[no-untyped-def]
        attachment = uuid.uuid4()
        submission_id = announce(client, [attachment], key=key).json()["submissionId"]
        upload = client.put(
            f"/api/v1/submissions/{submission_id}/attachments/{attachment}",
            token,
            content_type="application/jose",
        )
        receipt = client.put(
            f"/api/v1/submissions/{submission_id}", body, content_type="application/json"
        )
        return submission_id, upload, receipt

    assert submit("warm-up")[2].status_code == 200
    last = AuditEntry.objects.aggregate(last=Max("position"))["last"]
    # when: announce, upload and submit
    window = _window()
    with CaptureQueriesContext(connection) as captured:
        submission_id, upload, receipt = submit("counted")
    # then: the same guarantees as before, with fewer statements
    statements = [q["sql"] for q in captured.captured_queries]
    control = [sql for sql in statements if sql.startswith(_CONTROL)]
    data = [sql for sql in statements if not sql.startswith(_CONTROL)]
    new_minute = int(_window() != window)  # a new window takes a new reservation
    assert len(data) <= MAX_DATA_STATEMENTS + new_minute, "\n".join(data)
    assert len(control) == TRANSACTION_STATEMENTS, "\n".join(control)
    assert upload.status_code == 204 and receipt.status_code == 200, receipt.content
    submission = Submission.objects.get(pk=submission_id)
    assert submission.vorgangsnummer == receipt.json()["vorgangsnummer"]
    assert submission.first_response and submission.status == "received"
    assert list(
        AuditEntry.objects.filter(position__gt=last)
        .order_by("position")
        .values_list("action", flat=True)
    ) == [
        "application.announced",
        "application.attachment_uploaded",
        "application.submitted",
        "casework.received",
    ]


def test_a_key_retired_by_another_process_is_never_announced(client, settings):
    # given: this process remembers the destination's key (core.memo)
    settings.VERBUND_SUBMISSION_CACHE_SECONDS = 60
    old_kid = key_of(client)["kid"]
    assert announce(client, [], key="first").json()["encryptionKid"] == old_kid
    # when: the key is retired behind the process's back (as another app server would)
    EncryptionKey.objects.filter(kid=old_kid).update(active=False)
    answer = announce(client, [], key="second")
    # then: the announcement names the destination's new active key, not the remembered one
    assert answer.status_code == 201, answer.content
    submission = Submission.objects.select_related("key").get(pk=answer.json()["submissionId"])
    assert submission.key.active and submission.key.kid != old_kid
    assert answer.json()["encryptionKid"] == submission.key.kid


def test_a_drawn_vorgangsnummer_that_is_taken_is_drawn_again(client, monkeypatch):
    # given: a completed submission, and a draw that first repeats its number
    jwk = key_of(client)
    plain = sealing.canonical_json({"data": {"familienname": "Muster"}})
    body = json.dumps(
        {
            "encryptedData": sealing.seal(plain, jwk),
            "encryptedMetadata": sealing.seal(b'{"attachments": []}', jwk),
        }
    )
    first = announce(client, [], key="one").json()["submissionId"]
    taken = client.put(f"/api/v1/submissions/{first}", body, content_type="application/json")
    taken_number = taken.json()["vorgangsnummer"]
    draws = iter([taken_number, "VB-2026-FRSH-0001"])
    monkeypatch.setattr(receipt_module, "new_vorgangsnummer", lambda: next(draws))
    # when: another submission is completed
    second = announce(client, [], key="two").json()["submissionId"]
    receipt = client.put(f"/api/v1/submissions/{second}", body, content_type="application/json")
    # then: it gets the second draw, and the first submission keeps its number
    assert receipt.status_code == 200, receipt.content
    assert receipt.json()["vorgangsnummer"] == "VB-2026-FRSH-0001"
    assert Submission.objects.get(pk=first).vorgangsnummer == taken_number
