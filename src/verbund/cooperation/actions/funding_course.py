"""After submission: questions, early start, withdrawal, partners, Verwendungsnachweis."""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from verbund.authorities.types import Authority
from verbund.casework import actions as casework_actions
from verbund.cooperation import queries, rules
from verbund.cooperation.actions.funding import _book, _linked_case, _lock, _render_notice
from verbund.cooperation.actions.membership import _user
from verbund.cooperation.models import (
    FundingApplication,
    ProofOfUse,
)
from verbund.core.audit import Actor, record_audit, snapshot
from verbund.core.errors import Conflict, InvalidInput
from verbund.integrations import clamd

# --- funding: questions, early start, withdrawal, Verwendungsnachweis ----------------------


def _move(locked: FundingApplication, target: str) -> None:
    if not rules.can_change_funding(locked.status, target):
        raise Conflict(
            f"Das geht nicht: Der Antrag ist {locked.get_status_display()}.",
            code="funding_transition",
        )


def _snapshot(application: FundingApplication) -> dict[str, Any]:
    return snapshot(application, exclude=("partners",))


def _save_audited(
    locked: FundingApplication, before: dict[str, Any], action: str, actor: Actor
) -> None:
    """Save a change of the application's state with its audit row (before and after)."""
    locked.save()
    record_audit(action=action, actor=actor, obj=locked, before=before, after=_snapshot(locked))


@transaction.atomic
def request_funding_information(
    *, application: FundingApplication, question: str, actor: Actor
) -> FundingApplication:
    """The Land asks the Kommune for more information; the decision waits for the answer."""
    _call, locked = _lock(application)
    _move(locked, rules.INFO_REQUESTED)
    if not question.strip():
        raise InvalidInput("Bitte die Rückfrage formulieren.", code="question_missing")
    before = _snapshot(locked)
    locked.status = rules.INFO_REQUESTED
    locked.info_request = question.strip()[:4000]
    locked.info_requested_at = timezone.now()
    locked.info_answer, locked.info_answered_at = "", None
    _save_audited(locked, before, "cooperation.funding_info_requested", actor)
    return locked


@transaction.atomic
def answer_funding_information(
    *, application: FundingApplication, answer: str, actor: Actor
) -> FundingApplication:
    """The leading Kommune answers; the application is open for the decision again."""
    _call, locked = _lock(application)
    _move(locked, rules.SUBMITTED)
    if locked.status != rules.INFO_REQUESTED:  # the table allows it only from there
        raise Conflict("Es ist keine Rückfrage offen.", code="no_question")
    if not answer.strip():
        raise InvalidInput("Bitte beantworten Sie die Rückfrage.", code="answer_missing")
    before = _snapshot(locked)
    locked.status = rules.SUBMITTED
    locked.info_answer = answer.strip()[:4000]
    locked.info_answered_at = timezone.now()
    _save_audited(locked, before, "cooperation.funding_info_answered", actor)
    return locked


@transaction.atomic
def permit_early_start(*, application: FundingApplication, actor: Actor) -> FundingApplication:
    """Vorzeitiger Maßnahmebeginn (VV Nr. 1.3 zu § 44 ThürLHO): the Kommune may start before
    the decision without losing eligibility; it is no promise of a grant."""
    _call, locked = _lock(application)
    if locked.status not in rules.OPEN_FUNDING:
        raise Conflict("Nur für offene Anträge.", code="not_open")
    if locked.early_start_permitted_at is not None:
        raise Conflict("Der vorzeitige Maßnahmebeginn ist bereits zugelassen.", code="already")
    locked.early_start_permitted_at = timezone.now()
    locked.save(update_fields=["early_start_permitted_at", "updated_at"])
    record_audit(
        action="cooperation.funding_early_start_permitted",
        actor=actor,
        obj=locked,
        after={"early_start_permitted_at": locked.early_start_permitted_at.isoformat()},
    )
    return locked


@transaction.atomic
def withdraw_funding_application(
    *, application: FundingApplication, reason: str, actor: Actor
) -> FundingApplication:
    """The Kommune withdraws; money committed and not yet paid is released."""
    _call, locked = _lock(application)
    _move(locked, rules.WITHDRAWN)
    before = _snapshot(locked)
    open_amount = queries.application_position(locked)["open"]
    if open_amount > 0:
        _book(locked, rules.RELEASE, open_amount, actor, note="Rücknahme des Antrags")
    locked.status = rules.WITHDRAWN
    locked.reason = reason.strip()[:4000]
    _save_audited(locked, before, "cooperation.funding_withdrawn", actor)
    return locked


@transaction.atomic
def add_funding_partner(
    *, application: FundingApplication, partner: Authority, actor: Actor
) -> FundingApplication:
    """A joint application: another Kommune of the Land takes part; the applicant leads."""
    _call, locked = _lock(application)
    if locked.status not in rules.OPEN_FUNDING:
        raise Conflict("Beteiligte lassen sich nur bei offenen Anträgen ergänzen.", code="not_open")
    if partner.pk == locked.applicant_id:
        raise InvalidInput("Die antragstellende Kommune führt den Antrag bereits.", code="lead")
    locked.partners.add(partner)
    record_audit(
        action="cooperation.funding_partner_added",
        actor=actor,
        obj=locked,
        after={"partner": partner.slug},
    )
    return locked


def _check_pdf(filename: str, content: bytes) -> str:
    """A PDF within the attachment limit, scanned by clamd when one is configured."""
    if not content.startswith(b"%PDF-"):
        raise InvalidInput(
            f"„{filename}“ ist keine PDF-Datei. Bitte laden Sie den Nachweis als PDF hoch.",
            code="not_pdf",
        )
    if len(content) > settings.VERBUND_ATTACHMENT_MAX_BYTES:
        raise InvalidInput(f"„{filename}“ ist zu groß.", code="attachment_too_large")
    if not settings.VERBUND_CLAMD:
        return "not_scanned"
    try:
        result = clamd.scan_bytes(
            settings.VERBUND_CLAMD, content, timeout=settings.VERBUND_CLAMD_TIMEOUT
        )
    except clamd.ScannerUnavailable:
        raise Conflict(
            "Die Virenprüfung ist gerade nicht erreichbar; bitte später erneut versuchen.",
            code="virus_scanner_unavailable",
        ) from None
    if not result.clean:
        raise InvalidInput(f"In „{filename}“ wurde Schadsoftware gefunden.", code="infected")
    return "clean"


@transaction.atomic
def submit_proof_of_use(
    *,
    application: FundingApplication,
    actual_costs: Decimal,
    summary: str,
    filename: str,
    content: bytes,
    actor: Actor,
) -> ProofOfUse:
    """The leading Kommune hands in the Verwendungsnachweis of an approved application."""
    _call, locked = _lock(application)
    if locked.status != rules.APPROVED:
        raise Conflict("Einen Verwendungsnachweis gibt es nur zu bewilligten Anträgen.", code="x")
    if queries.pending_proof(locked) is not None:
        raise Conflict("Ein Verwendungsnachweis wird bereits geprüft.", code="proof_pending")
    if actual_costs < 0 or actual_costs != actual_costs.quantize(rules.CENT):
        raise InvalidInput("Bitte die tatsächlichen Ausgaben in Euro angeben.", code="costs")
    if not summary.strip():
        raise InvalidInput("Bitte den Sachbericht kurz zusammenfassen.", code="summary_missing")
    scan_status = _check_pdf(filename, content)
    name = storages["attachments"].save(
        f"verwendungsnachweise/{locked.pk}/{uuid.uuid4().hex}.pdf", ContentFile(content)
    )
    proof = ProofOfUse.objects.create(
        application=locked,
        actual_costs=actual_costs,
        summary=summary.strip()[:4000],
        document_name=filename[:200],
        document=name,
        document_sha256=hashlib.sha256(content).hexdigest(),
        scan_status=scan_status,
        submitted_by=_user(actor),
    )
    record_audit(
        action="cooperation.proof_of_use_submitted", actor=actor, obj=proof, after=snapshot(proof)
    )
    return proof


def render_final_notice(
    *, application: FundingApplication, proof: ProofOfUse, released: Decimal
) -> bytes:
    """The Schlussbescheid: the grant finally set from the accepted Verwendungsnachweis
    (rate of the actual costs, never more than approved), what is released, the
    Rechtsbehelfsbelehrung."""
    return _render_notice(
        "cooperation/schlussbescheid_pdf.html", application, proof=proof, released=released
    )


def _deliver_final_notice(
    application: FundingApplication, proof: ProofOfUse, *, released: Decimal, actor: Actor
) -> None:
    """Send the Schlussbescheid to the Postfach of the application's case, like the
    Zuwendungsbescheid (applications that did not come through the form have none)."""
    case = _linked_case(application, actor)
    if case is None:
        return
    final = application.final_amount or Decimal(0)
    casework_actions.issue_further_decision(
        case=case,
        outcome="granted" if final >= (application.approved_amount or 0) else "partial",
        pdf=render_final_notice(application=application, proof=proof, released=released),
        filename=f"Schlussbescheid-{case.submission.vorgangsnummer}.pdf",
        subject=f"Schlussbescheid zu Ihrem Antrag {case.submission.vorgangsnummer}",
        body=(
            f"Ihr Verwendungsnachweis ist geprüft. Die Zuwendung ist endgültig auf "
            f"{rules.money(final)} festgesetzt; den Schlussbescheid finden Sie im Anhang."
        ),
        actor=actor,
    )


@transaction.atomic
def review_proof_of_use(
    *, proof: ProofOfUse, accept: bool, actor: Actor, note: str = ""
) -> ProofOfUse:
    """Accepting pays the rate of the actual costs (at most what is committed and unpaid)
    and releases the rest; the application is settled. Rejecting needs a note; the
    Kommune may hand in a corrected proof."""
    _call, locked = _lock(proof.application)
    proof = ProofOfUse.objects.select_for_update().get(pk=proof.pk)
    if proof.state != rules.PROOF_SUBMITTED:
        raise Conflict("Über diesen Nachweis ist bereits entschieden.", code="already_decided")
    before = snapshot(proof)
    if accept:
        _move(locked, rules.SETTLED)
        open_amount = queries.application_position(locked)["open"]
        pay, release = rules.settlement(
            open_amount=open_amount,
            actual_costs=proof.actual_costs,
            rate_percent=locked.call.rate_percent,
        )
        if pay > 0:
            _book(locked, rules.DISBURSEMENT, pay, actor, note="Verwendungsnachweis anerkannt")
        if release > 0:
            _book(locked, rules.RELEASE, release, actor, note="geringere tatsächliche Ausgaben")
        locked.status = rules.SETTLED
        locked.final_amount = queries.application_position(locked)["paid"]
        locked.final_notice_at = timezone.now()
        locked.save(update_fields=["status", "final_amount", "final_notice_at", "updated_at"])
        proof.paid_amount = pay
        _deliver_final_notice(locked, proof, released=release, actor=actor)
    elif not note.strip():
        raise InvalidInput("Bitte begründen Sie die Zurückweisung.", code="reason_missing")
    proof.state = rules.PROOF_ACCEPTED if accept else rules.PROOF_REJECTED
    proof.reviewed_by = _user(actor)
    proof.reviewed_at = timezone.now()
    proof.review_note = note.strip()[:4000]
    proof.save()
    record_audit(
        action="cooperation.proof_of_use_reviewed",
        actor=actor,
        obj=proof,
        before=before,
        after=snapshot(proof),
    )
    return proof
