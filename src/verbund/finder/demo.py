"""Demo responsibility data: the designated authorities of the Land and Bund services of
the starter catalogue (the `note` column of the evaluation's services.csv), as
Zuständigkeiten for the whole Land. Authorities and areas are real; where a task is spread
over many local offices (Finanzämter, Grundbuchämter), the entry names the office that
leads them and the note tells citizens which local office handles their case. Addresses
are placeholders (is_demo_data). Runs after the authorities' and the catalogue's demo."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

from verbund.authorities.actions import add_leitweg_id, upsert_authority
from verbund.authorities.types import Authority, AuthorityKind, TenantStatus, make_leitweg_id
from verbund.catalogue.types import Service
from verbund.finder.actions import upsert_zustaendigkeit
from verbund.gebiete.types import Gebiet, Level

ACTOR = "load-demo"

# Authorities that authorities/demo.py does not create yet (seat, PLZ, kind).
EXTRA_AUTHORITIES: dict[str, dict[str, Any]] = {
    "tlfd": {
        "leitweg": ("16", "TLFD"),
        "name": "Thüringer Landesfinanzdirektion",
        "kind": AuthorityKind.LANDESBEHOERDE,
        "city": "Erfurt",
        "plz": "99096",
        "website": "https://finanzen.thueringen.de",
    },
    "grundbuchaemter-thueringen": {
        "leitweg": ("16", "GBA"),
        "name": "Grundbuchämter bei den Thüringer Amtsgerichten",
        "kind": AuthorityKind.GERICHT,
        "city": "Erfurt",
        "plz": "99084",
        "website": "https://justiz.thueringen.de",
    },
    "ag-jena-registergericht": {
        "leitweg": ("16", "AGJREG"),
        "name": "Amtsgericht Jena – Registergericht",
        "kind": AuthorityKind.GERICHT,
        "city": "Jena",
        "plz": "07745",
        "website": "https://justiz.thueringen.de",
    },
    "studierendenwerk-thueringen": {
        "leitweg": ("16", "STWTH"),
        "name": "Studierendenwerk Thüringen",
        "kind": AuthorityKind.ANSTALT,
        "city": "Jena",
        "plz": "07743",
        "website": "https://www.stw-thueringen.de",
    },
    "familienkasse": {
        "leitweg": ("16", "FAMKA"),
        "name": "Familienkasse der Bundesagentur für Arbeit",
        "kind": AuthorityKind.BUNDESBEHOERDE,
        "city": "Erfurt",
        "plz": "99096",
        "website": "https://www.arbeitsagentur.de/familie-und-kinder",
        "bund": True,
    },
    "hauptzollamt-erfurt": {
        "leitweg": ("16", "HZAEF"),
        "name": "Hauptzollamt Erfurt",
        "kind": AuthorityKind.BUNDESBEHOERDE,
        "city": "Erfurt",
        "plz": "99086",
        "website": "https://www.zoll.de",
        "bund": True,
    },
    "agentur-fuer-arbeit": {
        "leitweg": ("16", "BARDSAT"),
        "name": "Bundesagentur für Arbeit – Regionaldirektion Sachsen-Anhalt-Thüringen",
        "kind": AuthorityKind.BUNDESBEHOERDE,
        "city": "Halle (Saale)",
        "plz": "06110",
        "website": "https://www.arbeitsagentur.de",
        "bund": True,
    },
}

# service slug → (authority slug, note for citizens)
DESIGNATIONS: dict[str, tuple[str, str]] = {
    "schwerbehindertenausweis": ("tlvwa", "Das Landesverwaltungsamt ist Versorgungsbehörde."),
    "blindengeld": ("tlvwa", "Das Landesverwaltungsamt zahlt das Landesblindengeld."),
    "apostille": ("tlvwa", "Für Urkunden der Verwaltung stellt das Landesverwaltungsamt sie aus."),
    "einkommensteuererklaerung": (
        "tlfd",
        "Ihre Erklärung bearbeitet das Finanzamt Ihres Wohnorts (Abgabe über ELSTER); "
        "die Landesfinanzdirektion führt die Thüringer Finanzämter.",
    ),
    "grundbuchauszug": (
        "grundbuchaemter-thueringen",
        "Zuständig ist das Grundbuchamt des Amtsgerichts, in dessen Bezirk das Grundstück liegt.",
    ),
    "handelsregister": (
        "ag-jena-registergericht",
        "Das Amtsgericht Jena führt das Handelsregister für ganz Thüringen.",
    ),
    "vereinsregister": (
        "ag-jena-registergericht",
        "Das Registergericht führt das Vereinsregister.",
    ),
    "liegenschaftskataster": ("tlbg", "Das Landesamt führt das Liegenschaftskataster."),
    "bafoeg-studium": (
        "studierendenwerk-thueringen",
        "Das Studierendenwerk ist das Amt für Ausbildungsförderung der Thüringer Hochschulen.",
    ),
    "egov-foerderung": (
        "tmdi",
        "Anträge stellen Kommunen; das Ministerium entscheidet über die Förderung.",
    ),
    "kindergeld": ("familienkasse", "Kindergeld zahlt die Familienkasse."),
    "kfz-steuer": ("hauptzollamt-erfurt", "Die Kraftfahrzeugsteuer verwaltet der Zoll."),
    "arbeitslosengeld": (
        "agentur-fuer-arbeit",
        "Melden Sie sich bei der Agentur für Arbeit Ihres Wohnorts arbeitslos.",
    ),
}


# Leitweg-IDs of the demo carry the area's key (here the Land's), like all demo authorities.
def _upsert_extra(slug: str, spec: dict[str, Any], land: Gebiet) -> Authority:
    authority, _ = upsert_authority(
        slug=slug,
        actor=ACTOR,
        name=spec["name"],
        kind=spec["kind"],
        gebiet=land,
        website=spec["website"],
        postal_street="Postfach 1",
        postal_code=spec["plz"],
        postal_city=spec["city"],
        visitor_street="Demo-Straße 1",
        visitor_code=spec["plz"],
        visitor_city=spec["city"],
        phone="+49 361 000000",
        email=f"poststelle@{slug}.demo.verbund.invalid",
        opening_hours="Mo–Do 9–15 Uhr\nFr 9–12 Uhr",
        is_demo_data=True,
        tenant_status=TenantStatus.NOT_JOINED if spec.get("bund") else TenantStatus.JOINED,
    )
    grob, fein = spec["leitweg"]
    add_leitweg_id(
        authority=authority,
        value=str(make_leitweg_id(grob, fein)),
        actor=ACTOR,
        description="Rechnungseingang (Demodaten)",
    )
    return authority


@transaction.atomic
def load(*, out: Callable[[str], None]) -> None:
    land = Gebiet.objects.filter(level=Level.LAND, key=settings.VERBUND_LAND).first()
    if land is None:
        out("Kein Land geladen; Zuständigkeiten übersprungen.")
        return
    for slug, spec in EXTRA_AUTHORITIES.items():
        _upsert_extra(slug, spec, land)
    count = 0
    for service_slug, (authority_slug, note) in DESIGNATIONS.items():
        service = Service.objects.filter(slug=service_slug).first()
        authority = Authority.objects.filter(slug=authority_slug).first()
        if service is None or authority is None:
            continue
        upsert_zustaendigkeit(
            service=service, authority=authority, gebiet=land, note=note, actor=ACTOR
        )
        count += 1
    out(f"{count} Zuständigkeiten für Leistungen des Landes und des Bundes.")
