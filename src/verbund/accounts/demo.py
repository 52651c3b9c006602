"""Demo accounts: a citizen, an organisation, staff of a few authorities (assigned to
their authorities by authorities/demo.py) and a Land operator, plus a connected demo
service for the OpenID provider. Credentials are demo data, listed in the README."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import transaction

from verbund.accounts.actions import register_connected_service, upsert_account
from verbund.accounts.models import Organisation, OrganisationMember, User

ACTOR = "load-demo"
DEMO_PASSWORD = "Verbund-Demo-2026"  # noqa: S105 (demo data, documented in the README)
# The TOTP secret of every demo staff and operator account (demo data, see README).
DEMO_TOTP_SECRET = "VERBUNDDEMOSTAFFTOTPJBSWY3DPEHPK"  # noqa: S105

STAFF = [
    ("sb.hanstein", "Sabine", "Becker", "VG Hanstein-Rusteberg"),
    ("lt.hanstein", "Lutz", "Thiele", "VG Hanstein-Rusteberg"),
    ("sb.eichsfeld", "Stefan", "Brandt", "Landratsamt Eichsfeld"),
    ("sb.erfurt", "Sophie", "Berger", "Stadtverwaltung Erfurt"),
    ("admin.tlvwa", "Anke", "Dietrich", "TLVwA"),
    ("admin.weimar", "Wiebke", "Verwaltung", "Stadtverwaltung Weimar (cooperation/demo.py)"),
    ("admin.erfurt", "Elke", "Verwaltung", "Stadtverwaltung Erfurt (costs/demo.py)"),
]


@transaction.atomic
def load(*, out: Callable[[str], None]) -> None:
    upsert_account(
        username="erika.mustermann@demo.verbund.invalid",
        email="erika.mustermann@demo.verbund.invalid",
        kind=User.Kind.CITIZEN,
        actor=ACTOR,
        password=DEMO_PASSWORD,
        profile={
            "given_name": "Erika",
            "family_name": "Mustermann",
            "birth_date": datetime.date(1984, 8, 12),
            "street": "Hauptstraße 12",
            "postal_code": "37318",
            "city": "Arenshausen",
        },
    )
    firm = upsert_account(
        username="info@tischlerei-beispiel.demo.verbund.invalid",
        email="info@tischlerei-beispiel.demo.verbund.invalid",
        kind=User.Kind.ORGANISATION,
        actor=ACTOR,
        password=DEMO_PASSWORD,
        profile={"given_name": "Max", "family_name": "Beispiel"},
    )
    organisation, _ = Organisation.objects.update_or_create(
        name="Tischlerei Beispiel GmbH",
        defaults={
            "legal_form": Organisation.LegalForm.GMBH,
            "street": "Industriestraße 4",
            "postal_code": "37308",
            "city": "Heilbad Heiligenstadt",
            "register_number": "HRB 000000 (Demodaten)",
        },
    )
    OrganisationMember.objects.get_or_create(
        organisation=organisation, user=firm, defaults={"role": OrganisationMember.Role.ADMIN}
    )
    for username, first, last, _where in STAFF:
        upsert_account(
            username=username,
            email=f"{username}@behoerde.demo.verbund.invalid",
            kind=User.Kind.STAFF,
            actor=ACTOR,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            totp_secret=DEMO_TOTP_SECRET,
        )
    upsert_account(
        username="betrieb.land",
        email="betrieb@land.demo.verbund.invalid",
        kind=User.Kind.OPERATOR,
        actor=ACTOR,
        password=DEMO_PASSWORD,
        first_name="Olaf",
        last_name="Betrieb",
        totp_secret=DEMO_TOTP_SECRET,
        is_staff=True,
    )
    register_connected_service(
        name="Demo: Bürgerservice-Portal einer Kommune",
        client_id="demo-kommunaldienst",
        redirect_uris=["http://127.0.0.1:8001/callback"],
        actor=ACTOR,
    )
    out(
        f"Demo-Konten: 1 Bürgerin, 1 Organisation, {len(STAFF)} Beschäftigte, 1 Landesbetrieb "
        "(Zugangsdaten im README)."
    )
