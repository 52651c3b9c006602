"""Every change of the cooperation: one atomic function per state change, each writing its
audit row in the same transaction."""

from __future__ import annotations

import datetime
import hashlib
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from verbund.accounts import actions as account_actions
from verbund.accounts import queries as account_queries
from verbund.applications import queries as application_queries
from verbund.applications.types import Submission
from verbund.authorities import actions as authority_actions
from verbund.authorities import queries as authority_queries
from verbund.authorities.types import Authority, AuthorityKind, StaffRole, TenantStatus
from verbund.casework import actions as casework_actions
from verbund.casework import queries as casework_queries
from verbund.casework.types import Case
from verbund.catalogue import actions as catalogue_actions
from verbund.catalogue import queries as catalogue_queries
from verbund.catalogue.types import Service
from verbund.cooperation import queries, rules
from verbund.cooperation.models import (
    Activation,
    Booking,
    DistrictProposal,
    FundingApplication,
    FundingCall,
    FundingProgramme,
    LandOperator,
    Membership,
    ProofOfUse,
    SharedService,
    TextRevision,
)
from verbund.core.audit import SYSTEM, Actor, record_audit, snapshot
from verbund.core.errors import Conflict, InvalidInput, NotFound
from verbund.finder import actions as finder_actions
from verbund.gebiete.types import Gebiet, GebietType, Level
from verbund.integrations import clamd


def _user(actor: Actor) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None


@transaction.atomic
def assign_land_operator(*, user: Any, land: Gebiet, actor: Actor) -> LandOperator:
    row, created = LandOperator.objects.get_or_create(user=user, land=land)
    if created:
        record_audit(action="cooperation.operator_assigned", actor=actor, obj=row, land=land.key)
    return row


def _kind_for(gebiet: Gebiet) -> str:
    if gebiet.level == Level.KREIS:
        return AuthorityKind.LANDRATSAMT
    if gebiet.level == Level.VERBAND:
        return AuthorityKind.VG_VERWALTUNG
    if gebiet.type in {GebietType.STADT, GebietType.KREISFREIE_STADT}:
        return AuthorityKind.STADTVERWALTUNG
    return AuthorityKind.GEMEINDEVERWALTUNG


def _authority_for(gebiet: Gebiet, slug: str, actor: Actor) -> Authority:
    """The authority of the unit: the one chosen, the only one, or a new administration for
    a unit that has none in the registry yet."""
    candidates = list(authority_queries.all_authorities().filter(gebiet=gebiet).order_by("name"))
    if slug:
        for candidate in candidates:
            if candidate.slug == slug:
                return candidate
        raise InvalidInput(
            "Diese Behörde gehört nicht zu dem angegebenen Gebiet.", code="authority_mismatch"
        )
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        names = ", ".join(f"{c.name} ({c.slug})" for c in candidates)
        raise InvalidInput(
            f"Für dieses Gebiet gibt es mehrere Behörden; bitte eine wählen: {names}.",
            code="authority_ambiguous",
            candidates=[c.slug for c in candidates],
        )
    if gebiet.level == Level.LAND:
        raise InvalidInput(
            "Landesbehörden werden mit ihrem Kurznamen eingeladen.", code="authority_required"
        )
    kind = _kind_for(gebiet)
    prefixes: dict[str, str] = {
        AuthorityKind.LANDRATSAMT: "Landratsamt",
        AuthorityKind.VG_VERWALTUNG: "Verwaltungsgemeinschaft",
        AuthorityKind.STADTVERWALTUNG: "Stadtverwaltung",
        AuthorityKind.GEMEINDEVERWALTUNG: "Gemeindeverwaltung",
    }
    prefix = prefixes[kind]
    authority, _created = authority_actions.upsert_authority(
        slug=slugify(f"{prefix} {gebiet.display_name} {gebiet.key}")[:80],
        actor=actor,
        name=f"{prefix} {gebiet.display_name}",
        kind=kind,
        gebiet=gebiet,
    )
    return authority


@transaction.atomic
def invite_authority(*, land: Gebiet, ars: str, actor: Actor, slug: str = "") -> Membership:
    """The Land invites an authority from the official directory (by ARS) to the Verbund."""
    gebiet = queries.find_gebiet_in_land(land, ars)
    authority = _authority_for(gebiet, slug.strip(), actor)
    membership = Membership.objects.select_for_update().filter(authority=authority).first()
    current = membership.state if membership is not None else rules.NOT_INVITED
    if not rules.can_change_membership(current, rules.INVITED):
        raise Conflict(
            f"{authority.name} ist bereits {queries.STATE_LABELS[current]}.",
            code="already_invited",
        )
    before = snapshot(membership) if membership is not None else None
    now = timezone.now()
    if membership is None:
        membership = Membership(authority=authority, land=land)
    membership.state = rules.INVITED
    membership.invited_at = now
    membership.invited_by = _user(actor)
    membership.accepted_at = None
    membership.accepted_by = None
    membership.agreement_version = ""
    membership.left_at = None
    membership.save()
    record_audit(
        action="cooperation.invited",
        actor=actor,
        obj=membership,
        before=before,
        after=snapshot(membership),
        authority=authority.slug,
        ars=gebiet.ars,
    )
    return membership


@transaction.atomic
def accept_agreement(
    *,
    authority: Authority,
    version: str,
    contact_name: str,
    contact_email: str,
    actor: Actor,
) -> Membership:
    """The authority's administrator accepts the cooperation agreement in the version shown."""
    membership = Membership.objects.select_for_update().filter(authority=authority).first()
    current = membership.state if membership is not None else rules.NOT_INVITED
    if membership is None or not rules.can_change_membership(current, rules.MEMBER):
        raise Conflict(
            "Die Vereinbarung kann nur nach einer Einladung des Landes angenommen werden.",
            code="not_invited",
        )
    if version != rules.AGREEMENT_VERSION:
        raise Conflict(
            "Diese Fassung der Vereinbarung gilt nicht mehr; bitte die aktuelle lesen.",
            code="agreement_outdated",
        )
    if not contact_name.strip():
        raise InvalidInput("Bitte eine Ansprechperson nennen.", code="contact_missing")
    before = snapshot(membership)
    membership.state = rules.MEMBER
    membership.agreement_version = version
    membership.accepted_at = timezone.now()
    membership.accepted_by = _user(actor)
    membership.contact_name = contact_name.strip()[:200]
    membership.contact_email = contact_email.strip()[:254]
    membership.save()
    authority_actions.upsert_authority(
        slug=authority.slug,
        actor=actor,
        tenant_status=TenantStatus.JOINED,
        joined_on=authority.joined_on or timezone.localdate(),
    )
    record_audit(
        action="cooperation.agreement_accepted",
        actor=actor,
        obj=membership,
        before=before,
        after=snapshot(membership),
        agreement_version=version,
        authority=authority.slug,
    )
    return membership


@transaction.atomic
def leave_verbund(*, authority: Authority, reason: str, actor: Actor) -> Membership:
    """The authority leaves: its shared services stop being offered; nothing is deleted
    (activations, cases and the audit trail stay until their retention ends)."""
    membership = Membership.objects.select_for_update().filter(authority=authority).first()
    current = membership.state if membership is not None else rules.NOT_INVITED
    if membership is None or not rules.can_change_membership(current, rules.LEFT):
        raise Conflict("Diese Behörde ist nicht Mitglied im Verbund.", code="not_member")
    before = snapshot(membership)
    membership.state = rules.LEFT
    membership.left_at = timezone.now()
    membership.leave_reason = reason.strip()[:2000]
    membership.save()
    authority_actions.upsert_authority(
        slug=authority.slug, actor=actor, tenant_status=TenantStatus.NOT_JOINED
    )
    record_audit(
        action="cooperation.left",
        actor=actor,
        obj=membership,
        before=before,
        after=snapshot(membership),
        authority=authority.slug,
    )
    return membership


@transaction.atomic
def publish_shared_service(
    *, land: Gebiet, service: Service, actor: Actor, fee_set_locally: bool = False
) -> SharedService:
    """The Land offers the service's published online form for adoption by its authorities."""
    version = application_queries.published_version(service)
    if version is None:
        raise Conflict(
            f"Für „{service.name}“ gibt es kein veröffentlichtes Online-Formular.",
            code="no_published_form",
        )
    shared = SharedService.objects.select_for_update().filter(land=land, service=service).first()
    before = snapshot(shared) if shared is not None else None
    if shared is None:
        shared = SharedService(land=land, service=service, published_at=timezone.now())
    shared.form_version = version
    shared.fee_set_locally = fee_set_locally
    shared.save()
    record_audit(
        action="cooperation.service_published",
        actor=actor,
        obj=shared,
        before=before,
        after=snapshot(shared),
        service=service.slug,
    )
    return shared


@transaction.atomic
def activate_service(
    *,
    shared: SharedService,
    authority: Authority,
    contact: str,
    processing_days: int | None,
    actor: Actor,
    fee: Decimal | None = None,
) -> Activation:
    """A member authority offers the shared service in its area on its terms (or changes
    them); a paused activation is resumed by `resume_service`."""
    if queries.membership_state(authority) != rules.MEMBER:
        raise Conflict(
            "Nur Mitglieder des Verbunds können Online-Dienste freischalten; bitte zuerst "
            "die Kooperationsvereinbarung annehmen.",
            code="not_member",
        )
    errors = rules.activation_terms_errors(
        fee=fee,
        fee_set_locally=shared.fee_set_locally,
        contact=contact,
        processing_days=processing_days,
    )
    if errors:
        raise InvalidInput(" ".join(errors.values()), code="invalid_terms", fields=errors)
    assert processing_days is not None
    activation = (
        Activation.objects.select_for_update()
        .filter(shared_service=shared, authority=authority)
        .first()
    )
    before = snapshot(activation) if activation is not None else None
    if activation is None:
        activation = Activation(
            shared_service=shared,
            authority=authority,
            status=rules.ACTIVE,
            activated_at=timezone.now(),
        )
    activation.fee = fee
    activation.contact = contact.strip()[:200]
    activation.processing_days = processing_days
    activation.save()
    record_audit(
        action="cooperation.service_activated" if before is None else "cooperation.terms_changed",
        actor=actor,
        obj=activation,
        before=before,
        after=snapshot(activation),
        authority=authority.slug,
        service=shared.service.slug,
    )
    return activation


def _set_activation_status(activation: Activation, target: str, actor: Actor) -> Activation:
    locked = Activation.objects.select_for_update().get(pk=activation.pk)
    if not rules.can_change_activation(locked.status, target):
        raise Conflict(
            f"Der Online-Dienst ist bereits {locked.get_status_display()}.",
            code="activation_state",
        )
    before = snapshot(locked)
    locked.status = target
    locked.save(update_fields=["status", "updated_at"])
    record_audit(
        action=f"cooperation.service_{'paused' if target == rules.PAUSED else 'resumed'}",
        actor=actor,
        obj=locked,
        before=before,
        after=snapshot(locked),
        authority=locked.authority.slug,
    )
    return locked


@transaction.atomic
def pause_service(*, activation: Activation, actor: Actor) -> Activation:
    return _set_activation_status(activation, rules.PAUSED, actor)


@transaction.atomic
def resume_service(*, activation: Activation, actor: Actor) -> Activation:
    if queries.membership_state(activation.authority) != rules.MEMBER:
        raise Conflict("Nur Mitglieder des Verbunds bieten Online-Dienste an.", code="not_member")
    return _set_activation_status(activation, rules.ACTIVE, actor)


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
    from weasyprint import HTML  # late: loads Pango

    submission = application.submission
    html = render_to_string(
        "cooperation/zuwendungsbescheid_pdf.html",
        {
            "application": application,
            "call": application.call,
            "submission": submission,
            "issuer": submission.authority if submission is not None else None,
            "amount": amount,
            "today": timezone.localdate(),
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


# --- district offices: changes the Land reviews -----------------------------------------------


def _area_key(value: str) -> str:
    """A Kreis key (5 digits) becomes its ARS; ARS and AGS pass through."""
    digits = value.strip().replace(" ", "")
    return f"{digits}0000000" if len(digits) == 5 and digits.isdigit() else digits


@transaction.atomic
def propose_district(
    *,
    land: Gebiet,
    kind: Any,
    office_slug: str,
    area: str,
    reason: str,
    actor: Actor,
    valid_from: datetime.date | None = None,
    valid_until: datetime.date | None = None,
    note: str = "",
) -> DistrictProposal:
    """An editor of the Land proposes the district of an office (new, changed or ended);
    it takes effect when a second editor approves it."""
    try:
        office = queries.authority_in_land_or_404(land, office_slug.strip())
    except NotFound:
        raise InvalidInput(
            f"Eine Behörde „{office_slug.strip()}“ gibt es im Land nicht.", code="unknown_office"
        ) from None
    gebiet = queries.find_gebiet_in_land(land, _area_key(area))
    errors = rules.district_errors(
        level=gebiet.level, valid_from=valid_from, valid_until=valid_until
    )
    if not reason.strip():
        errors["reason"] = "Bitte begründen Sie die Änderung (z. B. die Quelle)."
    if errors:
        raise InvalidInput(" ".join(errors.values()), code="invalid_district")
    proposal = DistrictProposal.objects.create(
        land=land,
        kind=kind,
        office=office,
        gebiet=gebiet,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note.strip()[:300],
        reason=reason.strip()[:500],
        proposed_by=_user(actor),
    )
    record_audit(
        action="cooperation.district_proposed", actor=actor, obj=proposal, after=snapshot(proposal)
    )
    return proposal


@transaction.atomic
def review_district_proposal(
    *, proposal: DistrictProposal, approve: bool, actor: Actor, note: str = ""
) -> DistrictProposal:
    """The second editor approves (the district changes, audited by the finder) or rejects."""
    proposal = DistrictProposal.objects.select_for_update().get(pk=proposal.pk)
    target = rules.PROPOSAL_APPROVED if approve else rules.PROPOSAL_REJECTED
    reviewer = _user(actor)
    refusal = rules.can_review(
        proposal.state,
        target,
        proposer_id=proposal.proposed_by_id,
        reviewer_id=reviewer.pk if reviewer is not None else 0,
    )
    if refusal:
        raise Conflict(refusal, code="review_refused")
    if not approve and not note.strip():
        raise InvalidInput("Bitte begründen Sie die Ablehnung.", code="reason_missing")
    before = snapshot(proposal)
    if approve:
        finder_actions.upsert_district(
            kind=proposal.kind,
            office=proposal.office,
            gebiet=proposal.gebiet,
            valid_from=proposal.valid_from,
            valid_until=proposal.valid_until,
            note=proposal.note,
            actor=actor,
        )
    proposal.state = target
    proposal.reviewed_by = reviewer
    proposal.reviewed_at = timezone.now()
    proposal.review_note = note.strip()[:500]
    proposal.save(
        update_fields=["state", "reviewed_by", "reviewed_at", "review_note", "updated_at"]
    )
    record_audit(
        action="cooperation.district_reviewed",
        actor=actor,
        obj=proposal,
        before=before,
        after=snapshot(proposal),
    )
    return proposal


# --- funding: questions, early start, withdrawal, Verwendungsnachweis ----------------------


def _move(locked: FundingApplication, target: str) -> None:
    if not rules.can_change_funding(locked.status, target):
        raise Conflict(
            f"Das geht nicht: Der Antrag ist {locked.get_status_display()}.",
            code="funding_transition",
        )


@transaction.atomic
def request_funding_information(
    *, application: FundingApplication, question: str, actor: Actor
) -> FundingApplication:
    """The Land asks the Kommune for more information; the decision waits for the answer."""
    _call, locked = _lock(application)
    _move(locked, rules.INFO_REQUESTED)
    if not question.strip():
        raise InvalidInput("Bitte die Rückfrage formulieren.", code="question_missing")
    before = snapshot(locked, exclude=("partners",))
    locked.status = rules.INFO_REQUESTED
    locked.info_request = question.strip()[:4000]
    locked.info_requested_at = timezone.now()
    locked.info_answer, locked.info_answered_at = "", None
    locked.save()
    record_audit(
        action="cooperation.funding_info_requested",
        actor=actor,
        obj=locked,
        before=before,
        after=snapshot(locked, exclude=("partners",)),
    )
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
    before = snapshot(locked, exclude=("partners",))
    locked.status = rules.SUBMITTED
    locked.info_answer = answer.strip()[:4000]
    locked.info_answered_at = timezone.now()
    locked.save()
    record_audit(
        action="cooperation.funding_info_answered",
        actor=actor,
        obj=locked,
        before=before,
        after=snapshot(locked, exclude=("partners",)),
    )
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
    before = snapshot(locked, exclude=("partners",))
    open_amount = queries.application_position(locked)["open"]
    if open_amount > 0:
        _book(locked, rules.RELEASE, open_amount, actor, note="Rücknahme des Antrags")
    locked.status = rules.WITHDRAWN
    locked.reason = reason.strip()[:4000]
    locked.save()
    record_audit(
        action="cooperation.funding_withdrawn",
        actor=actor,
        obj=locked,
        before=before,
        after=snapshot(locked, exclude=("partners",)),
    )
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
    from weasyprint import HTML  # late: loads Pango

    submission = application.submission
    html = render_to_string(
        "cooperation/schlussbescheid_pdf.html",
        {
            "application": application,
            "call": application.call,
            "proof": proof,
            "submission": submission,
            "issuer": submission.authority if submission is not None else None,
            "released": released,
            "today": timezone.localdate(),
        },
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


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


# --- service texts: draft → review → published ---------------------------------------------


@transaction.atomic
def draft_text(
    *,
    land: Gebiet,
    service: Any,
    field_name: str,
    text: str,
    actor: Actor,
    authority: Authority | None = None,
) -> TextRevision:
    """A new version of one text field, as a draft: the Land's base text, or (with
    `authority`) the authority's own text for its area."""
    if field_name not in rules.TEXT_FIELDS:
        raise InvalidInput("Dieses Textfeld gibt es nicht.", code="unknown_field")
    if len(text) > 20000:
        raise InvalidInput("Der Text ist zu lang (höchstens 20.000 Zeichen).", code="too_long")
    current = catalogue_queries.text_field(service, authority, field_name)
    if text.strip() == current.strip():
        raise InvalidInput("Der Text ist unverändert.", code="unchanged")
    last = (
        TextRevision.objects.filter(service=service, authority=authority, field_name=field_name)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    revision = TextRevision.objects.create(
        land=land,
        service=service,
        authority=authority,
        field_name=field_name,
        text=text.strip(),
        previous=current,
        version=(last or 0) + 1,
        author=_user(actor),
    )
    record_audit(
        action="cooperation.text_drafted", actor=actor, obj=revision, after=snapshot(revision)
    )
    return revision


@transaction.atomic
def submit_text_for_review(*, revision: TextRevision, actor: Actor) -> TextRevision:
    revision = TextRevision.objects.select_for_update().get(pk=revision.pk)
    if not rules.can_change_text(revision.state, rules.TEXT_REVIEW):
        raise Conflict("Dieser Text ist nicht mehr im Entwurf.", code="not_draft")
    revision.state = rules.TEXT_REVIEW
    revision.submitted_at = timezone.now()
    revision.save(update_fields=["state", "submitted_at", "updated_at"])
    record_audit(action="cooperation.text_submitted", actor=actor, obj=revision)
    return revision


@transaction.atomic
def review_text(
    *, revision: TextRevision, publish: bool, actor: Actor, note: str = ""
) -> TextRevision:
    """A second person publishes (the catalogue takes the text, audited there too) or
    rejects with a note. Refused when the published text changed since the draft."""
    revision = TextRevision.objects.select_for_update().get(pk=revision.pk)
    target = rules.TEXT_PUBLISHED if publish else rules.TEXT_REJECTED
    reviewer = _user(actor)
    if not rules.can_change_text(revision.state, target):
        raise Conflict("Dieser Text ist nicht in Prüfung.", code="not_in_review")
    if reviewer is None or reviewer.pk == revision.author_id:
        raise Conflict(
            "Einen Text prüft eine zweite Person, nicht wer ihn verfasst hat.",
            code="four_eyes",
        )
    if not publish and not note.strip():
        raise InvalidInput("Bitte begründen Sie die Zurückweisung.", code="reason_missing")
    if publish:
        current = catalogue_queries.text_field(
            revision.service, revision.authority, revision.field_name
        )
        if current != revision.previous:
            raise Conflict(
                "Der veröffentlichte Text hat sich seit dem Entwurf geändert; bitte neu entwerfen.",
                code="stale",
            )
        catalogue_actions.set_text_field(
            service=revision.service,
            authority=revision.authority,
            field_name=revision.field_name,
            value=revision.text,
            actor=actor,
        )
    revision.state = target
    revision.reviewed_by = reviewer
    revision.reviewed_at = timezone.now()
    revision.review_note = note.strip()[:500]
    revision.save(
        update_fields=["state", "reviewed_by", "reviewed_at", "review_note", "updated_at"]
    )
    record_audit(
        action="cooperation.text_published" if publish else "cooperation.text_rejected",
        actor=actor,
        obj=revision,
    )
    return revision


# --- the authority administration: staff and Leitweg-IDs ------------------------------------

SERVICE_AREA = re.compile(r"^\d{2,14}$")


@transaction.atomic
def set_staff_member(
    *,
    authority: Authority,
    login: str,
    role: str,
    service_areas: str,
    active: bool,
    actor: Actor,
) -> Any:
    """The authority's administrator adds an existing staff account or changes its role,
    service areas (LeiKa keys or their beginnings) and whether it is active. The last
    active administrator cannot be removed: the authority would lose its administration."""
    user = account_queries.find_user_by_login(login.strip())
    if user is None or user.kind != "staff":
        raise InvalidInput(
            f"Ein Konto für Beschäftigte „{login.strip()}“ gibt es nicht.", code="unknown_staff"
        )
    areas = _role_and_areas(role, service_areas)
    _keep_an_administrator(authority, user, role=role, active=active)
    membership = authority_actions.upsert_staff_membership(
        user=user,
        authority=authority,
        role=role,
        service_areas=areas,
        active=active,
        actor=actor,
    )
    if active:
        # Taking a deactivated colleague back (see `deactivate_staff_member`).
        account_actions.reactivate_account(user=user, actor=actor)
    return membership


def _role_and_areas(role: str, service_areas: str) -> list[str]:
    if role not in StaffRole.values:
        raise InvalidInput("Bitte eine Rolle wählen.", code="unknown_role")
    areas = [a for a in re.split(r"[\s,;]+", service_areas.strip()) if a]
    wrong = [a for a in areas if not SERVICE_AREA.match(a)]
    if wrong:
        raise InvalidInput(
            f"Aufgabengebiete sind LeiKa-Schlüssel oder ihre Anfänge (2–14 Ziffern): "
            f"„{', '.join(wrong)}“ passt nicht.",
            code="invalid_service_area",
        )
    return areas


def _keep_an_administrator(authority: Authority, user: Any, *, role: str, active: bool) -> None:
    admins = [
        m.user_id
        for m in authority_queries.staff_of(authority).select_for_update()
        if m.active and m.role == StaffRole.ADMIN
    ]
    if admins == [user.pk] and (role != StaffRole.ADMIN or not active):
        raise Conflict(
            "Die letzte Administration der Behörde bleibt; ernennen Sie zuerst eine weitere.",
            code="last_admin",
        )


@transaction.atomic
def invite_staff_member(
    *,
    authority: Authority,
    given_name: str,
    family_name: str,
    email: str,
    role: str,
    service_areas: str,
    base_url: str,
    actor: Actor,
) -> Any:
    """The administrator creates a staff account for a new colleague: the account (no
    password yet) and its membership in exactly this authority in one transaction, the
    invitation mail queued with it (`accounts.actions.invite_staff_account`)."""
    areas = _role_and_areas(role, service_areas)
    user = account_actions.invite_staff_account(
        email=email,
        given_name=given_name,
        family_name=family_name,
        inviter=authority.name,
        landing=reverse("cooperation:administration_index"),
        base_url=base_url,
        actor=actor,
    )
    membership = authority_actions.upsert_staff_membership(
        user=user, authority=authority, role=role, service_areas=areas, actor=actor
    )
    record_audit(
        action="cooperation.staff_invited",
        actor=actor,
        obj=membership,
        authority=authority.slug,
        role=role,
    )
    return membership


@transaction.atomic
def deactivate_staff_member(*, authority: Authority, membership_id: int, actor: Actor) -> Any:
    """End a colleague's work for this authority. The account itself is deactivated when
    it belongs to no other authority; another authority's membership is not this
    administrator's to end. The last administrator stays (see `_keep_an_administrator`)."""
    membership = queries.staff_membership_or_404(authority, membership_id)
    _keep_an_administrator(authority, membership.user, role=membership.role, active=False)
    membership = authority_actions.upsert_staff_membership(
        user=membership.user,
        authority=authority,
        role=membership.role,
        service_areas=membership.service_areas,
        active=False,
        actor=actor,
    )
    if not authority_queries.memberships_of(membership.user).exists():
        account_actions.deactivate_account(user=membership.user, actor=actor)
    return membership


def add_authority_leitweg_id(
    *, authority: Authority, value: str, contact: str, actor: Actor
) -> Any:
    """A Leitweg-ID for e-invoices to the authority, with the contact who answers for it
    (validated and audited by `authorities.actions.add_leitweg_id`)."""
    if not contact.strip():
        raise InvalidInput(
            "Bitte nennen Sie die Ansprechperson für diese Leitweg-ID.", code="contact_missing"
        )
    return authority_actions.add_leitweg_id(
        authority=authority, value=value.strip(), description=contact.strip(), actor=actor
    )


def deactivate_authority_leitweg_id(*, authority: Authority, pk: int, actor: Actor) -> Any:
    """The authority stops receiving e-invoices under one of its Leitweg-IDs; what arrived
    under it stays (`authorities.actions.deactivate_leitweg_id`)."""
    leitweg = queries.leitweg_id_or_404(authority, pk)
    return authority_actions.deactivate_leitweg_id(leitweg=leitweg, actor=actor)
