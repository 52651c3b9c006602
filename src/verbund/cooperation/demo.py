"""Demo of the cooperation: the Land operator account runs the Land console; a few
authorities are members (their agreement accepted), one is invited and waits for its
administrator (`admin.weimar`), and the Land's demo online services are activated in some
areas and not in others, so that the finder shows both answers."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from verbund.accounts.queries import find_user_by_login
from verbund.authorities import queries as authority_queries
from verbund.authorities.actions import upsert_staff_membership
from verbund.authorities.types import Authority, StaffRole
from verbund.catalogue import queries as catalogue_queries
from verbund.cooperation import actions, queries, rules
from verbund.cooperation.models import FundingCall, Membership
from verbund.gebiete import queries as gebiete_queries
from verbund.gebiete.types import Gebiet

ACTOR = "load-demo"

# Services the Land offers for adoption, and whether the Kommune sets the fee.
SHARED = [
    ("wohnsitz-anmelden", False),
    ("hundesteuer-anmelden", True),
    ("anwohnerparkausweis", True),
]
# Members and the shared services each has activated (fee for those the Kommune sets).
MEMBERS: dict[str, list[str]] = {
    "Stadtverwaltung Erfurt": ["wohnsitz-anmelden", "hundesteuer-anmelden", "anwohnerparkausweis"],
    "Verwaltungsgemeinschaft Hanstein-Rusteberg": ["wohnsitz-anmelden", "hundesteuer-anmelden"],
    "Stadtverwaltung Jena": ["wohnsitz-anmelden"],
    "Landratsamt Eichsfeld": [],
}
INVITED = ["Stadtverwaltung Weimar"]


def _authority(name: str) -> Authority | None:
    return (
        authority_queries.all_authorities()
        .filter(name=name)
        .select_related("gebiet")
        .order_by("pk")
        .first()
    )


@transaction.atomic
def load(*, out: Callable[[str], None]) -> None:
    land = gebiete_queries.find_land(settings.VERBUND_LAND)
    if land is None:
        out("Kein Land geladen; Zusammenarbeit übersprungen.")
        return
    operator = find_user_by_login("betrieb.land")
    if operator is not None:
        actions.assign_land_operator(user=operator, land=land, actor=ACTOR)
    shared = {}
    for slug, fee_set_locally in SHARED:
        service = catalogue_queries.all_services().filter(slug=slug).first()
        if service is None:
            continue
        existing = queries.shared_services(land).filter(service=service).first()
        shared[slug] = existing or actions.publish_shared_service(
            land=land, service=service, fee_set_locally=fee_set_locally, actor=ACTOR
        )
    members = 0
    for name, activated in MEMBERS.items():
        authority = _authority(name)
        if authority is None:
            continue
        if not Membership.objects.filter(authority=authority).exists():
            actions.invite_authority(
                land=land, ars=authority.gebiet.ars, slug=authority.slug, actor=ACTOR
            )
            actions.accept_agreement(
                authority=authority,
                version=rules.AGREEMENT_VERSION,
                contact_name="Digitalisierungsbeauftragte (Demodaten)",
                contact_email=f"digital@{authority.slug}.demo.verbund.invalid",
                actor=ACTOR,
            )
        members += 1
        for slug in activated:
            if slug in shared and queries.activation_of(shared[slug], authority) is None:
                actions.activate_service(
                    shared=shared[slug],
                    authority=authority,
                    fee=Decimal("15.00") if shared[slug].fee_set_locally else None,
                    contact=authority.email or "Bürgerbüro",
                    processing_days=14,
                    actor=ACTOR,
                )
    for name in INVITED:
        authority = _authority(name)
        if authority is None:
            continue
        if not Membership.objects.filter(authority=authority).exists():
            actions.invite_authority(
                land=land, ars=authority.gebiet.ars, slug=authority.slug, actor=ACTOR
            )
        # accounts/demo.py creates the account (with the demo password), loaded before this.
        admin = find_user_by_login("admin.weimar")
        if admin is not None:
            upsert_staff_membership(
                user=admin, authority=authority, role=StaffRole.ADMIN, actor=ACTOR
            )
    _funding(land, out)
    out(
        f"Verbund: {members} Mitglieder, {len(INVITED)} eingeladen, "
        f"{len(shared)} Online-Dienste zur Übernahme (Konto admin.weimar verwaltet Weimar)."
    )


# A funding call with applications in different states (amounts are demo data).
APPLICATIONS = [
    ("Stadtverwaltung Erfurt", "Einführung der E-Akte im Bürgeramt", "180000.00", "approve"),
    ("Verwaltungsgemeinschaft Hanstein-Rusteberg", "Online-Dienste der VG", "40000.00", "open"),
    ("Stadtverwaltung Jena", "Informationssicherheit im Rathaus", "90000.00", "reject"),
    ("Landratsamt Eichsfeld", "Qualifizierung der Beschäftigten", "25000.00", "open"),
]


def _funding(land: Gebiet, out: Callable[[str], None]) -> None:
    title = "ThürEGovRL 2027: Digitalisierung der Kommunen (Demodaten)"
    if FundingCall.objects.filter(land=land, title=title).exists():
        return
    programme = actions.ensure_funding_programme(
        land=land, title="ThürEGovRL: E-Government in den Kommunen (Demodaten)", actor=ACTOR
    )
    call = actions.open_funding_call(
        programme=programme,
        land=land,
        title=title,
        year=2027,
        budget=Decimal("500000.00"),
        min_amount=Decimal("5000.00"),
        max_amount=Decimal("150000.00"),
        rate_percent=Decimal("80"),
        actor=ACTOR,
    )
    for name, project, costs, outcome in APPLICATIONS:
        authority = _authority(name)
        if authority is None:
            continue
        requested = min(Decimal(costs) * Decimal("0.8"), call.max_amount)
        application = actions.submit_funding_application(
            call=call,
            applicant=authority,
            title=project,
            eligible_costs=Decimal(costs),
            requested_amount=requested,
            actor=ACTOR,
        )
        if outcome == "approve":
            actions.approve_funding_application(
                application=application, amount=requested, actor=ACTOR
            )
        elif outcome == "reject":
            actions.reject_funding_application(
                application=application,
                reason="Das Vorhaben ist nach Nr. 2 der Richtlinie nicht förderfähig (Demodaten).",
                actor=ACTOR,
            )
    out("1 Förderaufruf mit Demo-Anträgen (bewilligt, offen, abgelehnt).")
