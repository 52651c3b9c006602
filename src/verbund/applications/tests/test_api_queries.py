"""The three steps of an API submission stay near the floor of the protocol (issue 18):
their queries are counted here, so that they cannot creep back. Performance itself is
measured in bench/submissions.py (decision 0022)."""

import json
import uuid

import pytest
from django.db import connection
from django.db.models import Max

from verbund.applications import sealing
from verbund.applications.models import Submission
from verbund.applications.tests.conftest import PDF
from verbund.applications.tests.test_api import announce, key_of
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db

# Counted as the test sees them, each step's transaction as SAVEPOINT + RELEASE (BEGIN and
# COMMIT in production, which the count does not see): announce 11 (of which 2 ask the
# cooperation's rollout gate whether the authority offers the service), upload 8, submit 15,
# of which 7 open the case in the back office. Before issue 18: 58. PostgreSQL adds a
# savepoint pair around the Vorgangsnummer's UPDATE (a failed statement would spoil its
# transaction; SQLite's survives one).
MAX_QUERIES = 34
SAVEPOINT_FOR_THE_NUMBER = {"postgresql": 2}


def test_a_submission_needs_at_most_the_counted_queries(client, django_assert_max_num_queries):
    # given: the destination's key and warm per-process caches (form, finder answer)
    jwk = key_of(client)
    assert announce(client, [], key="warm-up").status_code == 201
    attachment = uuid.uuid4()
    token = sealing.seal(PDF, jwk)
    plain = sealing.canonical_json({"data": {"familienname": "Muster"}})
    body = json.dumps(
        {
            "encryptedData": sealing.seal(plain, jwk),
            "encryptedMetadata": sealing.seal(b'{"attachments": []}', jwk),
            "dataHash": sealing.sha256_hex(plain),
        }
    )
    last = AuditEntry.objects.aggregate(last=Max("position"))["last"]
    # when: announce, upload and submit
    bound = MAX_QUERIES + SAVEPOINT_FOR_THE_NUMBER.get(connection.vendor, 0)
    with django_assert_max_num_queries(bound, exact=False):
        submission_id = announce(client, [attachment], key="counted").json()["submissionId"]
        upload = client.put(
            f"/api/v1/submissions/{submission_id}/attachments/{attachment}",
            token,
            content_type="application/jose",
        )
        receipt = client.put(
            f"/api/v1/submissions/{submission_id}", body, content_type="application/json"
        )
    # then: the same guarantees as before, with fewer statements
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
