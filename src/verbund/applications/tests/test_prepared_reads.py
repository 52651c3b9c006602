"""The API's prepared reads (core.prepared) give exactly what their QuerySets give."""

import uuid

import pytest
from django.db import transaction

from verbund.applications import sealing
from verbund.applications.models import Submission
from verbund.applications.queries import submissions as reads
from verbund.applications.tests.conftest import PDF
from verbund.applications.tests.test_api import announce, key_of
from verbund.core.errors import NotFound

pytestmark = pytest.mark.django_db


def test_the_upload_and_completion_reads_equal_their_querysets(client):
    jwk = key_of(client)
    uploaded, missing = uuid.uuid4(), uuid.uuid4()
    submission_id = announce(client, [uploaded, missing]).json()["submissionId"]
    client.put(
        f"/api/v1/submissions/{submission_id}/attachments/{uploaded}",
        sealing.seal(PDF, jwk),
        content_type="application/jose",
    )
    pk = uuid.UUID(submission_id)

    ref = reads.announced_ref(pk)
    expected_row = (
        Submission.objects.filter(pk=pk)
        .values_list("pk", "status", "announced_attachments", "key__kid")
        .get()
    )
    assert (ref.pk, ref.status, ref.announced_attachments, ref.kid) == expected_row
    assert ref.announced_attachments == [str(uploaded), str(missing)]

    with transaction.atomic():
        locked, count = reads.lock_announced_for_completion(pk)
        expected = reads._locked_for_completion(pk).get()
    assert count == expected.uploaded_count == 1
    assert locked.get_deferred_fields() == expected.get_deferred_fields()
    for name in ("pk", "status", "announced_attachments", "authority_id", "created_at"):
        assert getattr(locked, name) == getattr(expected, name)
    assert locked.key.kid == expected.key.kid == jwk["kid"]
    assert locked.authority.slug == expected.authority.slug
    assert locked.service.slug == expected.service.slug == "wohnsitz-anmelden"
    assert locked.form_version.content_hash == expected.form_version.content_hash

    with pytest.raises(NotFound):
        reads.announced_ref(uuid.uuid4())
    with transaction.atomic(), pytest.raises(NotFound):
        reads.lock_announced_for_completion(uuid.uuid4())
