"""The case page's forms through the client: forwarding reaches only the authorities the form
offers, whatever slug a stale or tampered form posts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from verbund.applications.models import Submission
from verbund.authorities.models import TenantStatus
from verbund.core.models import AuditEntry
from verbund.mailbox.models import Message

pytestmark = pytest.mark.django_db


def _forward(client, case, to: str):  # type: ignore[no-untyped-def]
    url = reverse(
        "casework:action",
        kwargs={"number": case.submission.vorgangsnummer, "verb": "weiterleiten"},
    )
    return client.post(url, {"to": to, "reason": "Falscher Wohnort"})


def test_clerk_forwards_a_case_to_an_authority_of_the_list(
    client, login_staff, case, staff, foreign
):
    # given
    login_staff(client, staff["clerk"])
    # when
    response = _forward(client, case, foreign.slug)
    # then
    assert response.status_code == 302 and response["Location"] == reverse("casework:index")
    assert Submission.objects.get(pk=case.pk).authority == foreign


@pytest.mark.parametrize("target", ["own", "not_joined", "unknown", "empty"])
def test_forwarding_to_an_authority_not_in_the_list_changes_nothing(
    client, login_staff, case, staff, own, foreign, target
):
    # given: the clerk's own authority, one that has left the platform, or no authority at all
    if target == "not_joined":
        foreign.tenant_status = TenantStatus.NOT_JOINED
        foreign.save(update_fields=["tenant_status"])
    slug = {"own": own.slug, "not_joined": foreign.slug, "unknown": "gibt-es-nicht", "empty": ""}
    before = Submission.objects.get(pk=case.pk)
    login_staff(client, staff["clerk"])
    # when
    response = _forward(client, case, slug[target])
    # then: the case page again, the request to choose at the field, the case where it was
    page = response.content.decode()
    assert response.status_code == 422
    assert 'href="#id-to"' in page and 'id="id-to-error"' in page
    assert "Bitte wählen Sie die Behörde." in page
    after = Submission.objects.get(pk=case.pk)
    assert (after.authority_id, after.status, after.key_id) == (
        own.pk,
        before.status,
        before.key_id,
    )
    assert not AuditEntry.objects.filter(action="casework.forwarded").exists()
    assert not Message.objects.filter(submission_id=case.pk, kind="info").exists()
