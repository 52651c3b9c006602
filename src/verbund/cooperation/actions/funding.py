"""Funding programme: calls, applications, the decision with its Bescheid, the ledger."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from verbund.applications.types import Submission
from verbund.authorities.types import Authority
from verbund.casework import actions as casework_actions
from verbund.casework import queries as casework_queries
from verbund.casework.types import Case
from verbund.cooperation import queries, rules
from verbund.cooperation.actions.membership import _user
from verbund.cooperation.models import (
    Booking,
    FundingApplication,
    FundingCall,
    FundingProgramme,
)
from verbund.core.audit import SYSTEM, Actor, record_audit, snapshot
from verbund.core.errors import Conflict, InvalidInput
from verbund.gebiete.types import Gebiet

# --- the funding programme ------------------------------------------------------------------


def _label(actor: Actor) -> str:
    user = _user(actor)
    if user is not None:
        return str(user.get_username())[:200]
    return str(actor)[:200] if isinstance(actor, str) else SYSTEM


@transaction.atomic
def ensure_funding_programme(*, land: Gebiet, title: str, actor: Actor) -> FundingProgramme:
    """The Land's programme of this title, created (audited) the first time it is named."""
    title = " ".join(title.split())[:200]
    if not title:
        raise InvalidInput("Bitte das Förderprogramm nennen.", code="programme_missing")
    programme, created = FundingProgramme.objects.get_or_create(land=land, title=title)
    if created:
        record_audit(
            action="cooperation.programme_created",
            actor=actor,
            obj=programme,
            after=snapshot(programme),
        )
    return programme


@transaction.atomic
def open_funding_call(
    *,
    land: Gebiet,
    title: str,
    year: int,
    budget: Decimal,
    min_amount: Decimal,
    max_amount: Decimal,
    rate_percent: Decimal,
    actor: Actor,
    closes_on: Any = None,
    programme: FundingProgramme | None = None,
) -> FundingCall:
    if programme is not None and programme.land_id != land.pk:
        raise InvalidInput("Das Förderprogramm gehört zu einem anderen Land.", code="programme")
    if budget <= 0 or min_amount < 0 or max_amount < min_amount or not 0 < rate_percent <= 100:
        raise InvalidInput(
            "Budget positiv, Mindestbetrag nicht über dem Höchstbetrag, Fördersatz über 0 "
            "und höchstens 100 Prozent.",
            code="invalid_call",
        )
    call = FundingCall.objects.create(
        land=land,
        programme=programme,
        title=title.strip()[:200],
        year=year,
        budget=budget,
        min_amount=min_amount,
        max_amount=max_amount,
        rate_percent=rate_percent,
        closes_on=closes_on,
    )
    record_audit(action="cooperation.call_opened", actor=actor, obj=call, after=snapshot(call))
    return call


@transaction.atomic
def submit_funding_application(
    *,
    call: FundingCall,
    applicant: Authority,
    title: str,
    eligible_costs: Decimal,
    requested_amount: Decimal,
    actor: Actor,
    submission: Any = None,
) -> FundingApplication:
    if not call.is_open:
        raise Conflict("Dieser Förderaufruf nimmt keine Anträge mehr an.", code="call_closed")
    if eligible_costs <= 0 or requested_amount <= 0 or requested_amount > eligible_costs:
        raise InvalidInput(
            "Die beantragte Zuwendung muss positiv sein und darf die Ausgaben nicht übersteigen.",
            code="invalid_amounts",
        )
    application = FundingApplication.objects.create(
        call=call,
        applicant=applicant,
        submission=submission,
        title=title.strip()[:300] or "Vorhaben",
        eligible_costs=eligible_costs,
        requested_amount=requested_amount,
        submitted_at=timezone.now(),
    )
    record_audit(
        action="cooperation.funding_applied",
        actor=actor,
        obj=application,
        after=snapshot(application),
        authority=applicant.slug,
    )
    return application


def _book(
    application: FundingApplication, kind: str, amount: Decimal, actor: Actor, note: str = ""
) -> Booking:
    booking = Booking.objects.create(
        call_id=application.call_id,
        application=application,
        kind=kind,
        amount=amount,
        actor_label=_label(actor),
        note=note[:300],
    )
    record_audit(
        action=f"cooperation.booking_{kind}",
        actor=actor,
        obj=booking,
        after=snapshot(booking),
        call=application.call_id,
        application=application.pk,
    )
    return booking


def _lock(application: FundingApplication) -> tuple[FundingCall, FundingApplication]:
    """Lock the call first (every booking of a call serialises on its row), then the
    application: two approvals of the same call never both see the old balance."""
    call = FundingCall.objects.select_for_update().get(pk=application.call_id)
    locked = FundingApplication.objects.select_for_update().get(pk=application.pk)
    return call, locked


@transaction.atomic
def approve_funding_application(
    *, application: FundingApplication, amount: Decimal, actor: Actor
) -> FundingApplication:
    """Approve with an amount: commits that money in the call's ledger. Refused (Conflict,
    with the reason) when the application is decided already or the budget would be
    overspent; the sum of commitments never exceeds the budget."""
    call, locked = _lock(application)
    if not rules.can_change_funding(locked.status, rules.APPROVED):
        raise Conflict(
            f"Der Antrag ist bereits {locked.get_status_display()}.", code="already_decided"
        )
    errors = rules.grant_errors(
        amount=amount,
        eligible_costs=locked.eligible_costs,
        rate_percent=call.rate_percent,
        min_amount=call.min_amount,
        max_amount=call.max_amount,
    )
    if errors:
        raise InvalidInput(" ".join(errors), code="invalid_amount")
    totals = queries.ledger(call)
    refusal = rules.commitment_refusal(
        budget=call.budget, committed=totals["committed"], amount=amount
    )
    if refusal:
        raise Conflict(refusal, code="budget_exhausted", available=str(totals["available"]))
    before = snapshot(locked)
    locked.status = rules.APPROVED
    locked.approved_amount = amount
    locked.decided_at = timezone.now()
    locked.decided_by = _user(actor)
    locked.save()
    _book(locked, rules.COMMITMENT, amount, actor, note="Bewilligung")
    _deliver_grant_notice(locked, amount, actor)
    record_audit(
        action="cooperation.funding_approved",
        actor=actor,
        obj=locked,
        before=before,
        after=snapshot(locked),
    )
    return locked


def _linked_case(application: FundingApplication, actor: Actor) -> Case | None:
    """The back-office case of the application's submission, in progress by the deciding
    reviewer (None for applications that did not come through the platform's form)."""
    if application.submission_id is None or _user(actor) is None:
        return None
    case = casework_queries.case_of_submission(application.submission_id)
    if case is None:
        return None
    if case.submission.status in {Submission.Status.RECEIVED, Submission.Status.FORWARDED}:
        casework_actions.take_case(case=case, actor=actor)
    return case


def render_grant_notice(*, application: FundingApplication, amount: Decimal) -> bytes:
    """The Zuwendungsbescheid: addressee, amount, conditions, Rechtsbehelfsbelehrung."""
    return _render_notice("cooperation/zuwendungsbescheid_pdf.html", application, amount=amount)


def _render_notice(template: str, application: FundingApplication, **context: Any) -> bytes:
    """A Bescheid on the application as PDF, issued by the authority its submission went to."""
    from weasyprint import HTML  # late: loads Pango

    submission = application.submission
    html = render_to_string(
        template,
        {
            "application": application,
            "call": application.call,
            "submission": submission,
            "issuer": submission.authority if submission is not None else None,
            "today": timezone.localdate(),
            **context,
        },
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def _deliver_grant_notice(application: FundingApplication, amount: Decimal, actor: Actor) -> None:
    """Decide the linked case with the Zuwendungsbescheid: sealed for the authority and
    delivered to the applicant's Postfach by the back office."""
    case = _linked_case(application, actor)
    if case is None:
        return
    casework_actions.decide_case(
        case=case,
        outcome="granted",
        pdf=render_grant_notice(application=application, amount=amount),
        filename=f"Zuwendungsbescheid-{case.submission.vorgangsnummer}.pdf",
        actor=actor,
    )


@transaction.atomic
def reject_funding_application(
    *, application: FundingApplication, reason: str, actor: Actor
) -> FundingApplication:
    _call, locked = _lock(application)
    if not rules.can_change_funding(locked.status, rules.REJECTED):
        raise Conflict(
            f"Der Antrag ist bereits {locked.get_status_display()}.", code="already_decided"
        )
    if not reason.strip():
        raise InvalidInput("Eine Ablehnung braucht eine Begründung.", code="reason_missing")
    before = snapshot(locked)
    locked.status = rules.REJECTED
    locked.reason = reason.strip()[:4000]
    locked.decided_at = timezone.now()
    locked.decided_by = _user(actor)
    locked.save()
    case = _linked_case(locked, actor)
    if case is not None:
        casework_actions.reject_case(case=case, reason=locked.reason, actor=actor)
    record_audit(
        action="cooperation.funding_rejected",
        actor=actor,
        obj=locked,
        before=before,
        after=snapshot(locked),
    )
    return locked


@transaction.atomic
def disburse_funding(
    *, application: FundingApplication, amount: Decimal, actor: Actor, note: str = ""
) -> Booking:
    """Pay out (on an accepted Verwendungsnachweis) at most what is committed and unpaid."""
    _call, locked = _lock(application)
    position = queries.application_position(locked)
    if locked.status != rules.APPROVED or amount <= 0 or amount > position["open"]:
        raise Conflict(
            f"Auszahlbar sind höchstens {rules.money(position['open'])}.", code="not_payable"
        )
    return _book(locked, rules.DISBURSEMENT, amount, actor, note=note)


@transaction.atomic
def release_funding(
    *, application: FundingApplication, amount: Decimal, actor: Actor, note: str = ""
) -> Booking:
    """Free committed money that will not be paid (withdrawal, lower actual costs)."""
    _call, locked = _lock(application)
    position = queries.application_position(locked)
    if amount <= 0 or amount > position["open"]:
        raise Conflict(
            f"Freigeben lassen sich höchstens {rules.money(position['open'])}.",
            code="not_releasable",
        )
    return _book(locked, rules.RELEASE, amount, actor, note=note)


# The form through which Kommunen apply (applications/forms/egov-foerderung.json).
FUNDING_FORM = "egov-foerderung"


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(rules.CENT)
    except (InvalidOperation, ValueError):
        return None


@transaction.atomic(savepoint=False)  # part of the release: fails with it, never alone
def on_submission_released(*, submission: Any, document: dict[str, Any] | None) -> None:
    """A Kommune's released `egov-foerderung` application joins the open funding call of its
    Land (the newest) as a funding application linked to the submission. Sealed API
    submissions (document None) and applications without a matching call are left to the
    Land's reviewers."""
    if document is None or submission.applicant_authority_id is None:
        return
    if submission.service.slug != FUNDING_FORM:
        return
    applicant = submission.applicant_authority
    land = queries.land_of(applicant)
    call = queries.open_call(land) if land is not None else None
    if call is None:
        return
    data = document.get("data", document)
    costs = _decimal(data.get("gesamtkosten"))
    requested = _decimal(data.get("beantragt"))
    if costs is None or requested is None or not 0 < requested <= costs:
        return
    submit_funding_application(
        call=call,
        applicant=applicant,
        title=str(data.get("beschreibung", ""))[:300],
        eligible_costs=costs,
        requested_amount=requested,
        submission=submission,
        actor=SYSTEM,
    )
