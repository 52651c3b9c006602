"""Reading a case writes nothing but the audit of its decryption; the applicant's name of a
sealed (API) submission enters the blind index at the clerk's first step (issue 19)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from verbund.casework import queries
from verbund.casework.models import Case, CaseNameToken
from verbund.casework.tests.factories import submit_hundesteuer
from verbund.core.models import AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


def _unindexed_case() -> Case:
    # given: a case whose name the platform has not seen (as for an end-to-end sealed API
    # submission)
    case = submit_hundesteuer(family="Quandt", given="Ilse")
    CaseNameToken.objects.filter(case=case).delete()
    Case.objects.filter(pk=case.pk).update(name_indexed=False)
    return Case.objects.get(pk=case.pk)


def _found(user, slug: str, q: str) -> set[int]:
    membership = queries.membership_or_404(user, slug)
    rows = queries.inbox_page(membership, queries.InboxFilter(q=q), size=100).rows
    return {s.pk for s in rows}


def test_opening_a_case_writes_only_the_decryption_audit(client, login_staff, own, staff):
    case = _unindexed_case()
    login_staff(client, staff["clerk"])
    url = reverse("casework:case", kwargs={"number": case.submission.vorgangsnummer})
    # when
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    # then: the form data is shown, and nothing was written but the audit of the decryption
    # (entry and chain head) and the session's expiry
    assert response.status_code == 200
    assert "Quandt" in response.content.decode()
    allowed = (AuditEntry._meta.db_table, AuditChainHead._meta.db_table, "django_session")
    writes = [
        q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)
    ]
    assert writes, "the decryption is audited"
    written = {re.search(r'"(\w+)"', sql).group(1) for sql in writes}
    assert written <= set(allowed), written
    assert not Case.objects.get(pk=case.pk).name_indexed
    assert case.pk not in _found(staff["clerk"], own.slug, "Quandt")


def test_the_first_step_on_a_case_indexes_the_name(client, login_staff, own, staff):
    case = _unindexed_case()
    login_staff(client, staff["clerk"])
    url = reverse(
        "casework:action",
        kwargs={"number": case.submission.vorgangsnummer, "verb": "uebernehmen"},
    )
    # when
    response = client.post(url)
    # then
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).name_indexed
    assert case.pk in _found(staff["clerk"], own.slug, "Quandt")
