"""Demo responsibility data: the designated authorities of the Land and Bund services of
the starter catalogue (the `note` column of the evaluation's services.csv), as
Zuständigkeiten for the whole Land. Authorities and areas are real; where a task is spread
over many local offices (Finanzämter, Grundbuchämter), the entry names the office that
leads them and the note tells citizens which local office handles their case. Addresses
are placeholders (is_demo_data). Runs after the authorities' and the catalogue's demo.

Services of district offices (Finanzamt, Grundbuchamt, Agentur für Arbeit) get no
Land-wide designation: the demo models their districts by Kreis (`OFFICE_KINDS`). The
assignment of Kreise to offices follows the offices' seats and is demo data, not taken
from an official source; where no district is recorded the finder answers plainly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

from verbund.authorities.actions import add_leitweg_id, upsert_authority
from verbund.authorities.queries import all_authorities
from verbund.authorities.types import Authority, AuthorityKind, TenantStatus, make_leitweg_id
from verbund.catalogue import queries as catalogue_queries
from verbund.finder.actions import upsert_district, upsert_office_kind, upsert_zustaendigkeit
from verbund.gebiete import queries as gebiete_queries
from verbund.gebiete.types import Gebiet

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
    if "leitweg" not in spec:
        return authority
    grob, fein = spec["leitweg"]
    add_leitweg_id(
        authority=authority,
        value=str(make_leitweg_id(grob, fein)),
        actor=ACTOR,
        description="Rechnungseingang (Demodaten)",
    )
    return authority


def _office(
    slug: str, name: str, kind: str, city: str, plz: str, **extra: Any
) -> tuple[str, dict[str, Any]]:
    return slug, {"name": name, "kind": kind, "city": city, "plz": plz, **extra}


FA = AuthorityKind.FINANZAMT
WEB_FA = "https://finanzen.thueringen.de"
WEB_AG = "https://justiz.thueringen.de"
WEB_BA = "https://www.arbeitsagentur.de"

# kind slug → (name, parent authority slug, services, plain answer, {office: (spec, Kreise)})
OFFICE_KINDS: dict[str, dict[str, Any]] = {
    "finanzamt": {
        "name": "Finanzamt",
        "parent": "tlfd",
        "website": WEB_FA,
        "services": ["einkommensteuererklaerung"],
        "plain_answer": "Zuständig ist das Finanzamt, in dessen Bezirk Sie wohnen; die "
        "Erklärung geben Sie über ELSTER ab.",
        "offices": [
            (_office("fa-altenburg", "Finanzamt Altenburg", FA, "Altenburg", "04600"), ["16077"]),
            (_office("fa-eisenach", "Finanzamt Eisenach", FA, "Eisenach", "99817"), ["16063"]),
            (_office("fa-erfurt", "Finanzamt Erfurt", FA, "Erfurt", "99084"), ["16051"]),
            (_office("fa-gera", "Finanzamt Gera", FA, "Gera", "07545"), ["16052", "16076"]),
            (_office("fa-gotha", "Finanzamt Gotha", FA, "Gotha", "99867"), ["16067"]),
            (_office("fa-ilmenau", "Finanzamt Ilmenau", FA, "Ilmenau", "98693"), ["16070"]),
            (
                _office("fa-jena", "Finanzamt Jena", FA, "Jena", "07743"),
                ["16053", "16055", "16071", "16074"],
            ),
            (
                _office("fa-muehlhausen", "Finanzamt Mühlhausen", FA, "Mühlhausen", "99974"),
                ["16061", "16064"],
            ),
            (
                _office("fa-poessneck", "Finanzamt Pößneck", FA, "Pößneck", "07381"),
                ["16073", "16075"],
            ),
            (_office("fa-soemmerda", "Finanzamt Sömmerda", FA, "Sömmerda", "99610"), ["16068"]),
            (
                _office(
                    "fa-sondershausen", "Finanzamt Sondershausen", FA, "Sondershausen", "99706"
                ),
                ["16062", "16065"],
            ),
            (
                _office("fa-suhl", "Finanzamt Suhl", FA, "Suhl", "98527"),
                ["16054", "16066", "16069", "16072"],
            ),
        ],
    },
    "grundbuchamt": {
        "name": "Grundbuchamt",
        "parent": None,
        "website": WEB_AG,
        "services": ["grundbuchauszug"],
        "plain_answer": "Zuständig ist das Grundbuchamt beim Amtsgericht, in dessen Bezirk "
        "das Grundstück liegt.",
        # only some districts: the others show the plain answer
        "offices": [
            (
                _office(
                    "gba-erfurt",
                    "Amtsgericht Erfurt – Grundbuchamt",
                    AuthorityKind.GERICHT,
                    "Erfurt",
                    "99084",
                ),
                ["16051", "16068"],
            ),
            (
                _office(
                    "gba-heilbad-heiligenstadt",
                    "Amtsgericht Heilbad Heiligenstadt – Grundbuchamt",
                    AuthorityKind.GERICHT,
                    "Heilbad Heiligenstadt",
                    "37308",
                ),
                ["16061"],
            ),
            (
                _office(
                    "gba-jena",
                    "Amtsgericht Jena – Grundbuchamt",
                    AuthorityKind.GERICHT,
                    "Jena",
                    "07745",
                ),
                ["16053", "16074"],
            ),
        ],
    },
    "agentur-fuer-arbeit": {
        "name": "Agentur für Arbeit",
        "parent": "agentur-fuer-arbeit",
        "website": WEB_BA,
        "services": ["arbeitslosengeld"],
        "plain_answer": "Zuständig ist die Agentur für Arbeit Ihres Wohnorts; arbeitslos "
        "melden können Sie sich auch online.",
        "offices": [
            (
                _office(
                    "aa-erfurt",
                    "Agentur für Arbeit Erfurt",
                    AuthorityKind.BUNDESBEHOERDE,
                    "Erfurt",
                    "99096",
                    bund=True,
                ),
                ["16051", "16068", "16055", "16071"],
            ),
        ],
    },
}


def _load_office_kinds(land: Gebiet) -> int:
    count = 0
    kreise = {k.key: k for k in gebiete_queries.kreise_of(land)}
    for slug, spec in OFFICE_KINDS.items():
        services = list(catalogue_queries.services().filter(slug__in=spec["services"]))
        if not services:
            continue
        parent = all_authorities().filter(slug=spec["parent"]).first() if spec["parent"] else None
        kind = upsert_office_kind(
            slug=slug,
            land=land,
            name=spec["name"],
            plain_answer=spec["plain_answer"],
            services=services,
            parent=parent,
            is_demo_data=True,
            actor=ACTOR,
        )
        for (office_slug, office_spec), keys in spec["offices"]:
            office = _upsert_extra(office_slug, {**office_spec, "website": spec["website"]}, land)
            for key in keys:
                if key in kreise:
                    upsert_district(
                        kind=kind,
                        office=office,
                        gebiet=kreise[key],
                        is_demo_data=True,
                        actor=ACTOR,
                    )
                    count += 1
    return count


@transaction.atomic
def load(*, out: Callable[[str], None]) -> None:
    land = gebiete_queries.find_land(settings.VERBUND_LAND)
    if land is None:
        out("Kein Land geladen; Zuständigkeiten übersprungen.")
        return
    for slug, spec in EXTRA_AUTHORITIES.items():
        _upsert_extra(slug, spec, land)
    count = 0
    for service_slug, (authority_slug, note) in DESIGNATIONS.items():
        service = catalogue_queries.services().filter(slug=service_slug).first()
        authority = all_authorities().filter(slug=authority_slug).first()
        if service is None or authority is None:
            continue
        upsert_zustaendigkeit(
            service=service, authority=authority, gebiet=land, note=note, actor=ACTOR
        )
        count += 1
    out(f"{count} Zuständigkeiten für Leistungen des Landes und des Bundes.")
    out(f"{_load_office_kinds(land)} Amtsbezirke von Finanzämtern, Grundbuchämtern und Agenturen.")
