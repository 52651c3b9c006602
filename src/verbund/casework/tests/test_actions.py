"""The workflow at the actions: transitions only as rules allow, audit, Postfach, state in
one place (the applicant's status page shows it), forwarding re-encrypts, purge deletes."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from verbund.applications import queries as application_queries
from verbund.applications.models import Submission
from verbund.casework import actions, queries, rules
from verbund.casework.models import Case, CaseNameToken, Decision, ServiceTerms
from verbund.casework.tests.factories import submit_hundesteuer
from verbund.core.errors import Conflict, InvalidInput, NotFound
from verbund.core.models import AuditEntry
from verbund.mailbox import actions as mailbox_actions
from verbund.mailbox import queries as mailbox_queries
from verbund.mailbox.models import Message, MessageAttachment

pytestmark = pytest.mark.django_db

S = Submission.Status


def test_every_transition_not_in_the_table_is_refused():
    for current in rules.BACK_OFFICE:
        for target in rules.BACK_OFFICE:
            assert rules.can_transition(current, target) == (target in rules.TRANSITIONS[current])
    assert not rules.can_transition(S.RECEIVED, S.DECIDED)
    assert not rules.can_transition(S.CLOSED, S.IN_PROGRESS)


def test_release_opens_a_case_with_deadline_and_blind_name_index(case):
    # given: the demo sets the Hundesteuer target to 14 days
    submission = case.submission
    assert submission.status == S.RECEIVED
    processing, _ = queries.terms_for(submission.service)
    assert case.deadline == timezone.localdate(submission.released_at) + datetime.timedelta(
        days=processing
    )
    tokens = set(CaseNameToken.objects.filter(case=case).values_list("token", flat=True))
    # then: no readable name in the index, and "Mueller" finds "Müller"
    assert tokens and not any("ller" in t for t in tokens)
    assert queries.name_search_tokens("mueller", submission.authority_id) <= tokens


def test_a_release_seen_twice_keeps_the_one_case_and_writes_nothing_more(case):
    before = (Case.objects.count(), AuditEntry.objects.count(), CaseNameToken.objects.count())
    again = actions.open_case_record(submission=case.submission, document={"data": {}})
    assert again.pk == case.pk and again.deadline == case.deadline
    after = (Case.objects.count(), AuditEntry.objects.count(), CaseNameToken.objects.count())
    assert after == before


def test_take_request_reply_decide_close(case, staff, citizen):
    clerk = staff["clerk"]
    actions.take_case(case=case, actor=clerk)
    assert Submission.objects.get(pk=case.pk).status == S.IN_PROGRESS
    with pytest.raises(Conflict):
        actions.close_case(case=case, actor=clerk)
    actions.request_information(
        case=case, subject="Nachweis", body="Bitte Impfpass hochladen.", actor=clerk
    )
    assert Submission.objects.get(pk=case.pk).status == S.INFORMATION_NEEDED
    message = Message.objects.get(submission_id=case.pk, kind="rueckfrage")
    assert message.reply_requested
    # when: the applicant replies through the Postfach
    mailbox_actions.reply_to_message(message=message, body="Anbei.", actor_or_none=None)
    # then: the case is back in Bearbeitung (mailbox → casework callback)
    assert Submission.objects.get(pk=case.pk).status == S.IN_PROGRESS
    case.refresh_from_db()
    decision = actions.decide_case(
        case=case, outcome="granted", text="Der Hund ist angemeldet.", actor=clerk
    )
    assert decision.generated and Decision.objects.filter(case=case).count() == 1
    pdf = queries.read_decision(clerk, case, decision)
    assert pdf.startswith(b"%PDF-")
    bescheid = Message.objects.get(submission_id=case.pk, kind="bescheid")
    assert bescheid.attachments.count() == 1
    actions.close_case(case=case, actor=clerk)
    case.refresh_from_db()
    submission = Submission.objects.get(pk=case.pk)
    assert submission.status == S.CLOSED and case.purge_after is not None
    steps = list(AuditEntry.objects.filter(object_id=str(case.pk)).values_list("action", flat=True))
    for expected in (
        "casework.received",
        "casework.taken",
        "casework.information_requested",
        "casework.information_received",
        "casework.decided",
        "casework.closed",
    ):
        assert expected in steps


def test_uploaded_decision_must_be_a_pdf(case, staff):
    clerk = staff["clerk"]
    actions.take_case(case=case, actor=clerk)
    with pytest.raises(Exception, match="PDF"):
        actions.decide_case(case=case, outcome="granted", pdf=b"not a pdf", actor=clerk)
    assert Submission.objects.get(pk=case.pk).status == S.IN_PROGRESS


def test_status_page_of_the_applicant_shows_the_case_state(client, case, staff):
    actions.take_case(case=case, actor=staff["clerk"])
    number = case.submission.vorgangsnummer
    session = client.session
    session["applications.submitted"] = [number]
    session.save()
    found = application_queries.get_submission_for_applicant(
        number, user=staff["clerk"], session_numbers=[number]
    )
    assert found.get_status_display() == "in Bearbeitung"


def test_forwarding_reencrypts_to_the_new_authority(case, staff, foreign):
    clerk = staff["clerk"]
    old_kid = case.submission.key.kid
    actions.forward_case(case=case, to=foreign, reason="Falscher Wohnort", actor=clerk)
    submission = Submission.objects.select_related("key").get(pk=case.pk)
    assert submission.authority == foreign and submission.status == S.FORWARDED
    assert submission.key.authority_id == foreign.pk and submission.key.kid != old_kid
    # the old authority's staff no longer see it; the new one's can decrypt it
    with pytest.raises(NotFound):
        queries.get_case_for_staff_or_404(clerk, submission.vorgangsnummer)
    moved = queries.get_case_for_staff_or_404(staff["foreign_clerk"], submission.vorgangsnummer)
    opened = queries.open_case(staff["foreign_clerk"], moved)
    assert opened.data["familienname"] == "Müller"
    assert Message.objects.filter(submission_id=case.pk, kind="info").exists()
    # the blind index follows the authority: the new one finds the name
    membership = queries.membership_or_404(staff["foreign_clerk"], foreign.slug)
    page = queries.inbox_page(membership, queries.InboxFilter(q="Müller"))
    assert [s.pk for s in page.rows] == [case.pk]


def test_forwarding_to_an_authority_off_the_platform_is_refused_and_changes_nothing(
    case, staff, foreign
):
    foreign.tenant_status = "not_joined"
    foreign.save(update_fields=["tenant_status"])
    with pytest.raises(InvalidInput) as refused:
        actions.forward_case(case=case, to=foreign, reason="Falscher Wohnort", actor=staff["clerk"])
    assert refused.value.code == "not_a_tenant"
    submission = Submission.objects.get(pk=case.pk)
    assert submission.authority_id == case.submission.authority_id
    assert submission.status == case.submission.status


def test_purge_deletes_closed_cases_past_retention_only(
    case, staff, django_capture_on_commit_callbacks
):
    clerk = staff["clerk"]
    ServiceTerms.objects.filter(service=case.submission.service).update(retention_days=10)
    actions.take_case(case=case, actor=clerk)
    actions.decide_case(case=case, outcome="granted", text="Angemeldet.", actor=clerk)
    actions.close_case(case=case, actor=clerk, now=timezone.now() - datetime.timedelta(days=11))
    other = submit_hundesteuer(family="Bleibt")
    storage = application_queries.attachment_storage()
    decision_file = Decision.objects.get(case=case).storage_name
    assert storage.exists(decision_file)
    postfach_files = list(
        MessageAttachment.objects.filter(message__submission_id=case.pk).values_list(
            "storage_name", flat=True
        )
    )
    assert postfach_files and all(
        mailbox_queries.attachment_storage().exists(n) for n in postfach_files
    )
    # when
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge-expired-cases", stdout=out)
    # then
    assert "1 Vorgänge gelöscht" in out.getvalue()
    assert not Submission.objects.filter(pk=case.pk).exists()
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not Message.objects.filter(submission_id=case.pk).exists()
    assert not storage.exists(decision_file)
    assert not any(mailbox_queries.attachment_storage().exists(n) for n in postfach_files)
    assert Case.objects.filter(pk=other.pk).exists()
    assert AuditEntry.objects.filter(action="casework.purged", object_id=str(case.pk)).exists()
