"""Reads of the cooperation, with THE access helpers of the Land console and of the
authority administration: an operator reaches only the authorities of the Land(s) assigned
to them, an authority's administrator only their own authority. Everyone else gets
NotFound, so that nobody learns what exists elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop

from verbund.authorities import queries as authority_queries
from verbund.authorities.types import Authority, StaffRole
from verbund.catalogue.types import Service
from verbund.cooperation import rules
from verbund.cooperation.models import (
    Activation,
    Booking,
    FundingApplication,
    FundingCall,
    LandOperator,
    Membership,
    SharedService,
)
from verbund.core.errors import NotFound
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
    return Authority.objects.filter(Q(gebiet=land) | Q(gebiet__land=land)).select_related("gebiet")


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
        Gebiet.objects.filter(Q(ars=digits) | Q(ags=digits, level=Level.GEMEINDE))
        .filter(Q(pk=land.pk) | Q(land=land))
        .filter(valid_until__isnull=True)
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


def online_gate(service: Service, authority: Authority | None) -> bool | None:
    """The cooperation's answer for `applications.extensions.online_offered`: services the
    Land rolls out are online only where the responsible authority activated them; other
    services are none of the cooperation's business (None)."""
    shared = SharedService.objects.filter(service=service)
    if authority is None:
        return False if shared.exists() else None
    land = land_of(authority)
    found = shared.filter(land=land).first() if land is not None else None
    if found is None:
        return None
    activation = activation_of(found, authority)
    return rules.offered_online(
        membership_state=membership_state(authority),
        activation_status=activation.status if activation is not None else rules.NOT_OFFERED,
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
    return FundingCall.objects.filter(land=land)


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


@dataclass(frozen=True)
class CallReport:
    call: FundingCall
    totals: dict[str, Decimal]
    open_count: int


def funding_report(land: Gebiet) -> list[CallReport]:
    return [
        CallReport(
            call=call,
            totals=ledger(call),
            open_count=call.applications.filter(status__in=rules.OPEN_FUNDING).count(),
        )
        for call in funding_calls(land)
    ]


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
        if application.status == rules.APPROVED and commitments != application.approved_amount:
            problems.append(f"Antrag {application.pk}: Bindung ≠ bewilligter Betrag")
        if application.status != rules.APPROVED and commitments:
            problems.append(f"Antrag {application.pk}: Bindung ohne Bewilligung")
        if position["paid"] > position["committed"]:
            problems.append(f"Antrag {application.pk}: mehr ausgezahlt als gebunden")
    return problems


@dataclass(frozen=True)
class FundingStatistics:
    by_status: list[tuple[str, int]]
    by_kreis: list[tuple[str, int, int]]  # Kreis, applications, of them open
    median_days: float | None
    max_days: int | None


def funding_statistics(land: Gebiet) -> FundingStatistics:
    """Applications by status and by Kreis of the applicant, and how long decisions took."""
    applications = list(
        FundingApplication.objects.filter(call__land=land).select_related(
            "applicant__gebiet__kreis"
        )
    )
    status: dict[str, int] = {}
    kreise: dict[str, list[int]] = {}
    days = []
    for application in applications:
        label = application.get_status_display()
        status[label] = status.get(label, 0) + 1
        gebiet = application.applicant.gebiet
        kreis = gebiet.kreis.display_name if gebiet.kreis is not None else gebiet.display_name
        counts = kreise.setdefault(kreis, [0, 0])
        counts[0] += 1
        counts[1] += application.status in rules.OPEN_FUNDING
        if application.decided_at is not None:
            days.append(rules.age_in_days(application.submitted_at, application.decided_at))
    median, maximum = rules.decision_times(days)
    return FundingStatistics(
        by_status=sorted(status.items()),
        by_kreis=[(name, c[0], c[1]) for name, c in sorted(kreise.items())],
        median_days=median,
        max_days=maximum,
    )
