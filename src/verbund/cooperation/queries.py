"""Reads of the cooperation, with THE access helpers of the Land console and of the
authority administration: an operator reaches only the authorities of the Land(s) assigned
to them, an authority's administrator only their own authority. Everyone else gets
NotFound, so that nobody learns what exists elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_noop

from verbund.authorities import queries as authority_queries
from verbund.authorities.types import Authority, StaffRole
from verbund.catalogue import queries as catalogue_queries
from verbund.catalogue.types import Service
from verbund.cooperation import rules
from verbund.cooperation.models import (
    Activation,
    Booking,
    DistrictProposal,
    FundingApplication,
    FundingCall,
    FundingProgramme,
    FundingReviewer,
    LandOperator,
    Membership,
    ProofOfUse,
    SharedService,
    TextRevision,
)
from verbund.core.errors import NotFound
from verbund.core.memo import Memo
from verbund.finder import queries as finder_queries
from verbund.gebiete import queries as gebiete_queries
from verbund.gebiete.types import Gebiet, Level

User = AbstractBaseUser | AnonymousUser


def _not_found() -> NotFound:
    return NotFound("Nicht gefunden.", code="not_found")


# --- who may see what -----------------------------------------------------------------------


def lands_of_operator(user: User) -> list[Gebiet]:
    if not user.is_authenticated:
        return []
    return [
        row.land
        for row in LandOperator.objects.filter(user_id=user.pk).select_related("land")
        if row.land.level == Level.LAND
    ]


def land_of_operator_or_404(user: User) -> Gebiet:
    """The Land whose console the operator may use (the first, when several)."""
    lands = lands_of_operator(user)
    if not lands:
        raise _not_found()
    return lands[0]


def authorities_of_land(land: Gebiet) -> QuerySet[Authority]:
    return (
        authority_queries.all_authorities()
        .filter(Q(gebiet=land) | Q(gebiet__land=land))
        .select_related("gebiet")
    )


def authority_in_land_or_404(land: Gebiet, slug: str) -> Authority:
    authority = authorities_of_land(land).filter(slug=slug).first()
    if authority is None:
        raise _not_found()
    return authority


def administered_authorities(user: User) -> list[Authority]:
    """The authorities the user administers (role Administration)."""
    return [
        m.authority for m in authority_queries.memberships_of(user).filter(role=StaffRole.ADMIN)
    ]


def authority_for_admin_or_404(user: User, slug: str) -> Authority:
    return authority_queries.get_authority_for_staff_or_404(user, slug, roles=(StaffRole.ADMIN,))


# --- memberships ----------------------------------------------------------------------------


def land_of(authority: Authority) -> Gebiet | None:
    gebiet = authority.gebiet
    if gebiet.level == Level.LAND:
        return gebiet
    return gebiet.land


def membership_of(authority: Authority) -> Membership | None:
    return Membership.objects.filter(authority=authority).first()


def membership_state(authority: Authority) -> str:
    membership = membership_of(authority)
    return membership.state if membership is not None else rules.NOT_INVITED


# Translated where shown (templates: {% translate row.state_label %}).
STATE_LABELS = {
    rules.NOT_INVITED: gettext_noop("nicht eingeladen"),
    rules.INVITED: gettext_noop("eingeladen"),
    rules.MEMBER: gettext_noop("Mitglied"),
    rules.LEFT: gettext_noop("ausgetreten"),
}


@dataclass(frozen=True)
class AuthorityRow:
    authority: Authority
    state: str
    membership: Membership | None
    activations: int

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def land_overview(land: Gebiet, *, state: str = "") -> list[AuthorityRow]:
    """Every authority of the Land with its state in the Verbund and what it uses."""
    memberships = {
        m.authority_id: m for m in Membership.objects.filter(land=land).select_related("authority")
    }
    active: dict[int, int] = {}
    for authority_id in Activation.objects.filter(
        shared_service__land=land, status=rules.ACTIVE
    ).values_list("authority_id", flat=True):
        active[authority_id] = active.get(authority_id, 0) + 1
    rows = []
    for authority in authorities_of_land(land).order_by("name"):
        membership = memberships.get(authority.pk)
        row_state = membership.state if membership is not None else rules.NOT_INVITED
        if state and row_state != state:
            continue
        rows.append(AuthorityRow(authority, row_state, membership, active.get(authority.pk, 0)))
    return rows


def find_gebiet_in_land(land: Gebiet, ars: str) -> Gebiet:
    """The current unit with the ARS (12 digits; an AGS of 8 digits is accepted too)."""
    digits = ars.strip().replace(" ", "")
    found = (
        gebiete_queries.current_gebiete()
        .filter(Q(ars=digits) | Q(ags=digits, level=Level.GEMEINDE))
        .filter(Q(pk=land.pk) | Q(land=land))
        .order_by("level")
        .first()
    )
    if found is None:
        raise NotFound(
            f"Im Verzeichnis des Landes gibt es kein Gebiet mit dem Schlüssel „{digits}“.",
            code="unknown_ars",
        )
    return found


# --- shared online services -----------------------------------------------------------------


def shared_services(land: Gebiet) -> QuerySet[SharedService]:
    return SharedService.objects.filter(land=land).select_related("service", "form_version")


def get_shared_service_or_404(land: Gebiet, pk: int) -> SharedService:
    found = shared_services(land).filter(pk=pk).first()
    if found is None:
        raise _not_found()
    return found


def activation_of(shared: SharedService, authority: Authority) -> Activation | None:
    return Activation.objects.filter(shared_service=shared, authority=authority).first()


def activation_status(shared: SharedService, authority: Authority) -> str:
    activation = activation_of(shared, authority)
    return activation.status if activation is not None else rules.NOT_OFFERED


_GATE: Memo[bool | None] = Memo(scoped=True)


def online_gate(service: Service, authority: Authority | None) -> bool | None:
    """The cooperation's answer for `applications.extensions.online_offered`: services the
    Land rolls out are online only where the responsible authority activated them; other
    services are none of the cooperation's business (None). One query for a service the
    Land does not roll out, two for one it does. The submission API keeps the answer per
    process (`core.memo.keeping`, decision 0034); pages ask every time, since the anonymous
    page cache stores them under the generation token of the moment (decision 0031)."""
    key = (service.pk, authority.pk if authority is not None else None)
    return _GATE.get(key, lambda: _online_gate(service, authority))


def forget_gates(**_: object) -> None:
    """Signal receiver: after a rollout change commits, this process asks anew at once
    (other processes' API answers follow within `VERBUND_SUBMISSION_CACHE_SECONDS`)."""
    transaction.on_commit(_GATE.clear)


def _online_gate(service: Service, authority: Authority | None) -> bool | None:
    shared = list(SharedService.objects.filter(service=service).values_list("pk", "land_id"))
    if not shared:
        return None
    if authority is None:
        return False
    facts = (
        authority_queries.authorities()
        .filter(pk=authority.pk)
        .annotate(
            membership_state=Subquery(
                Membership.objects.filter(authority=OuterRef("pk")).values("state")[:1]
            ),
            activation_status=Subquery(
                Activation.objects.filter(
                    authority=OuterRef("pk"), shared_service__in=[pk for pk, _land in shared]
                ).values("status")[:1]
            ),
        )
        .values_list(
            "gebiet_id", "gebiet__level", "gebiet__land_id", "membership_state", "activation_status"
        )
        .first()
    )
    if facts is None:
        return None
    gebiet_id, level, land_id, state, activation = facts
    land = gebiet_id if level == Level.LAND else land_id
    if not any(shared_land == land for _pk, shared_land in shared):
        return None
    # (An authority's activations are of its own Land's shared services.)
    return rules.offered_online(
        membership_state=state or rules.NOT_INVITED,
        activation_status=activation or rules.NOT_OFFERED,
    )


@dataclass(frozen=True)
class RolloutRow:
    authority: Authority
    state: str
    cells: list[str]

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def rollout_table(land: Gebiet) -> tuple[list[SharedService], list[RolloutRow]]:
    """Invited and member authorities × the Land's shared services: activated, paused, or
    not offered (the gaps the Land follows up)."""
    services = list(shared_services(land).order_by("service__name"))
    status = {
        (a.shared_service_id, a.authority_id): a.status
        for a in Activation.objects.filter(shared_service__land=land)
    }
    rows = []
    for membership in (
        Membership.objects.filter(land=land)
        .exclude(state=rules.LEFT)
        .select_related("authority")
        .order_by("authority__name")
    ):
        cells = [status.get((s.pk, membership.authority_id), rules.NOT_OFFERED) for s in services]
        rows.append(RolloutRow(membership.authority, membership.state, cells))
    return services, rows


# --- the funding programme ------------------------------------------------------------------


def funding_calls(land: Gebiet) -> QuerySet[FundingCall]:
    return FundingCall.objects.filter(land=land).select_related("programme")


def funding_programmes(land: Gebiet) -> QuerySet[FundingProgramme]:
    return FundingProgramme.objects.filter(land=land)


def open_call(land: Gebiet) -> FundingCall | None:
    """The call that takes new applications: the newest open one of the Land."""
    return funding_calls(land).filter(is_open=True).order_by("-year", "-pk").first()


def get_funding_application_or_404(land: Gebiet, pk: int) -> FundingApplication:
    found = (
        FundingApplication.objects.select_related("call", "applicant")
        .filter(call__land=land, pk=pk)
        .first()
    )
    if found is None:
        raise _not_found()
    return found


def ledger(call: FundingCall) -> dict[str, Decimal]:
    bookings = list(Booking.objects.filter(call=call).values_list("kind", "amount"))
    return rules.ledger_totals(call.budget, bookings)


def application_position(application: FundingApplication) -> dict[str, Decimal]:
    """Committed (less releases), paid, and still open money of one application."""
    totals = rules.ledger_totals(
        Decimal(0), list(application.bookings.values_list("kind", "amount"))
    )
    return {
        "committed": totals["committed"],
        "paid": totals["paid"],
        "open": totals["committed"] - totals["paid"],
    }


def open_funding_applications(land: Gebiet) -> QuerySet[FundingApplication]:
    """Undecided applications, oldest first: those left waiting longest come first."""
    return (
        FundingApplication.objects.filter(call__land=land, status__in=rules.OPEN_FUNDING)
        .select_related("call", "applicant")
        .order_by("submitted_at", "pk")
    )


def decided_funding_applications(land: Gebiet) -> QuerySet[FundingApplication]:
    return (
        FundingApplication.objects.filter(call__land=land)
        .exclude(status__in=rules.OPEN_FUNDING)
        .select_related("call", "applicant")
        .order_by("-decided_at", "-pk")
    )


def reconcile(call: FundingCall) -> list[str]:
    """Discrepancies of the ledger (empty when it reconciles to the cent): commitments
    within the budget, every approved amount equal to its commitments, no application paid
    more than committed."""
    problems = []
    totals = ledger(call)
    if totals["committed"] > call.budget:
        problems.append(f"Bindungen {totals['committed']} über dem Budget {call.budget}")
    if totals["budget"] != totals["available"] + totals["committed"]:
        problems.append("Budget ≠ verfügbar + gebunden")
    for application in call.applications.all():
        position = application_position(application)
        commitments = sum(
            application.bookings.filter(kind=rules.COMMITMENT).values_list("amount", flat=True),
            Decimal(0),
        )
        if application.approved_amount is not None:
            if commitments != application.approved_amount:
                problems.append(f"Antrag {application.pk}: Bindung ≠ bewilligter Betrag")
            if application.status != rules.APPROVED and position["open"]:
                problems.append(f"Antrag {application.pk}: Restbindung nach Abschluss")
        elif commitments:
            problems.append(f"Antrag {application.pk}: Bindung ohne Bewilligung")
        if position["paid"] > position["committed"]:
            problems.append(f"Antrag {application.pk}: mehr ausgezahlt als gebunden")
    return problems


# --- district offices -----------------------------------------------------------------------


def office_kinds(land: Gebiet) -> Any:
    return finder_queries.office_kinds(land)


def office_kind_or_404(land: Gebiet, slug: str) -> Any:
    """A kind of district office the Land's editors maintain (another Land's: NotFound)."""
    return finder_queries.get_office_kind_or_404(land, slug)


def district_proposals(land: Gebiet) -> QuerySet[DistrictProposal]:
    return DistrictProposal.objects.filter(land=land).select_related(
        "kind", "office", "gebiet", "proposed_by", "reviewed_by"
    )


def open_district_proposals(land: Gebiet) -> QuerySet[DistrictProposal]:
    return district_proposals(land).filter(state=rules.PROPOSED).order_by("created_at", "pk")


def get_district_proposal_or_404(land: Gebiet, pk: int) -> DistrictProposal:
    found = district_proposals(land).filter(pk=pk).first()
    if found is None:
        raise _not_found()
    return found


# --- funding review (reviewers see only their calls) ----------------------------------------


def reviewable_calls(user: User) -> QuerySet[FundingCall]:
    """The calls a user reviews: every call of the Land(s) they operate, and the calls a
    reviewer is assigned to."""
    if not user.is_authenticated:
        return FundingCall.objects.none()
    lands = [land.pk for land in lands_of_operator(user)]
    assigned = FundingReviewer.objects.filter(user_id=user.pk).values("call_id")
    return FundingCall.objects.filter(Q(land_id__in=lands) | Q(pk__in=assigned))


def reviewer_calls_or_404(user: User) -> list[FundingCall]:
    calls = list(reviewable_calls(user).order_by("-year", "title"))
    if not calls:
        raise _not_found()
    return calls


def funding_application_for_reviewer_or_404(user: User, pk: int) -> FundingApplication:
    found = (
        FundingApplication.objects.select_related("call", "applicant")
        .filter(call__in=reviewable_calls(user), pk=pk)
        .first()
    )
    if found is None:
        raise _not_found()
    return found


def applications_to_review(user: User) -> QuerySet[FundingApplication]:
    """Open applications and approved ones waiting for their Verwendungsnachweis review,
    oldest first."""
    return (
        FundingApplication.objects.filter(call__in=reviewable_calls(user))
        .filter(
            Q(status__in=rules.OPEN_FUNDING)
            | Q(status=rules.APPROVED, proofs__state=rules.PROOF_SUBMITTED)
        )
        .distinct()
        .select_related("call", "applicant")
        .prefetch_related("partners")
        .order_by("submitted_at", "pk")
    )


def pending_proof(application: FundingApplication) -> ProofOfUse | None:
    return application.proofs.filter(state=rules.PROOF_SUBMITTED).first()


def funding_applications_of(authority: Authority) -> QuerySet[FundingApplication]:
    """The authority's applications: those it leads and the joint ones it takes part in."""
    return (
        FundingApplication.objects.filter(Q(applicant=authority) | Q(partners=authority))
        .distinct()
        .select_related("call", "applicant")
        .prefetch_related("partners", "proofs")
        .order_by("-submitted_at", "-pk")
    )


def led_funding_application_or_404(authority: Authority, pk: int) -> FundingApplication:
    """An application the authority leads (partners read, only the lead acts)."""
    found = (
        FundingApplication.objects.select_related("call", "applicant")
        .filter(applicant=authority, pk=pk)
        .first()
    )
    if found is None:
        raise _not_found()
    return found


def proof_for_reviewer_or_404(user: User, pk: int) -> ProofOfUse:
    found = (
        ProofOfUse.objects.select_related("application")
        .filter(application__call__in=reviewable_calls(user), pk=pk)
        .first()
    )
    if found is None:
        raise _not_found()
    return found


def proof_document(proof: ProofOfUse) -> bytes:
    with storages["attachments"].open(proof.document, "rb") as fh:
        return bytes(fh.read())


def general_administration(gebiet: Gebiet) -> Authority | None:
    """The administration of a Kommune (a partner of a joint application)."""
    return authority_queries.administration_of(gebiet)


# --- service texts ----------------------------------------------------------------------------


def text_revisions(land: Gebiet) -> QuerySet[TextRevision]:
    return TextRevision.objects.filter(land=land).select_related(
        "service", "authority", "author", "reviewed_by"
    )


def text_revision_in_land_or_404(land: Gebiet, pk: int) -> TextRevision:
    found = text_revisions(land).filter(pk=pk).first()
    if found is None:
        raise _not_found()
    return found


def text_revisions_of(authority: Authority) -> QuerySet[TextRevision]:
    return TextRevision.objects.filter(authority=authority).select_related(
        "service", "author", "reviewed_by"
    )


def text_revision_of_authority_or_404(authority: Authority, pk: int) -> TextRevision:
    found = text_revisions_of(authority).filter(pk=pk).first()
    if found is None:
        raise _not_found()
    return found


def service_by_slug(slug: str) -> Service:
    return catalogue_queries.get_service(slug.strip())


def published_text(service: Service, authority: Authority | None, field_name: str) -> str:
    return catalogue_queries.text_field(service, authority, field_name)


# --- the authority administration -----------------------------------------------------------

STAFF_ROLES = [(value, str(label)) for value, label in StaffRole.choices]


def staff_of(authority: Authority) -> Any:
    return authority_queries.staff_of(authority)


def staff_membership_or_404(authority: Authority, pk: int) -> Any:
    """A staff membership of this authority; another authority's is not found."""
    membership = staff_of(authority).filter(pk=pk).first()
    if membership is None:
        raise _not_found()
    return membership


def leitweg_ids_of(authority: Authority) -> Any:
    return authority_queries.leitweg_ids_of(authority)


def leitweg_id_or_404(authority: Authority, pk: int) -> Any:
    """One of this authority's Leitweg-IDs; another authority's is not found."""
    leitweg = leitweg_ids_of(authority).filter(pk=pk).first()
    if leitweg is None:
        raise _not_found()
    return leitweg
