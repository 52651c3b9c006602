"""Demo authorities of the configured Land: one administration per kreisfreie Stadt,
Landkreis, Verwaltungsgemeinschaft, erfüllende Gemeinde (and the Gemeinden it serves, which
keep their own affairs) and verbandsfreie Gemeinde, plus the Land authorities the catalogue
needs. Names and areas are real; addresses and contacts are placeholders (is_demo_data)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.text import slugify

from verbund.accounts.queries import find_user_by_login
from verbund.authorities.actions import add_leitweg_id, upsert_authority, upsert_staff_membership
from verbund.authorities.models import Authority, AuthorityKind, StaffRole, TenantStatus
from verbund.authorities.queries import all_authorities
from verbund.authorities.rules import make_leitweg_id
from verbund.gebiete import queries as gebiete_queries
from verbund.gebiete.types import Gebiet, GebietType, Level

ACTOR = "load-demo"
OPENING_HOURS = (
    "Mo 9–12 Uhr\nDi 9–12 und 13–18 Uhr\nMi geschlossen\nDo 9–12 und 13–16 Uhr\nFr 9–12 Uhr"
)

# Land authorities of Thüringen that the starter catalogue designates. Seats are real;
# street addresses are placeholders like all demo contacts.
LAND_AUTHORITIES: dict[str, list[dict[str, Any]]] = {
    "16": [
        {
            "slug": "tlvwa",
            "name": "Thüringer Landesverwaltungsamt",
            "kind": AuthorityKind.LANDESBEHOERDE,
            "city": "Weimar",
            "plz": "99423",
            "fein": "TLVWA",
            "website": "https://landesverwaltungsamt.thueringen.de",
        },
        {
            "slug": "tfm",
            "name": "Thüringer Finanzministerium",
            "kind": AuthorityKind.MINISTERIUM,
            "city": "Erfurt",
            "plz": "99099",
            "fein": "TFM",
            "website": "https://finanzen.thueringen.de",
        },
        {
            "slug": "tmdi",
            "name": "Thüringer Ministerium für Digitales und Infrastruktur",
            "kind": AuthorityKind.MINISTERIUM,
            "city": "Erfurt",
            "plz": "99096",
            "fein": "TMDI",
            "website": "https://digitales.thueringen.de",
        },
        {
            "slug": "tlbg",
            "name": "Thüringer Landesamt für Bodenmanagement und Geoinformation",
            "kind": AuthorityKind.LANDESBEHOERDE,
            "city": "Erfurt",
            "plz": "99086",
            "fein": "TLBG",
            "website": "https://tlbg.thueringen.de",
        },
    ],
}


# Demo staff accounts (created by accounts/demo.py, which runs first) and where they work.
DEMO_STAFF: list[tuple[str, str, str]] = [
    ("sb.hanstein", "Verwaltungsgemeinschaft Hanstein-Rusteberg", StaffRole.CLERK),
    ("lt.hanstein", "Verwaltungsgemeinschaft Hanstein-Rusteberg", StaffRole.LEAD),
    ("sb.eichsfeld", "Landratsamt Eichsfeld", StaffRole.CLERK),
    ("sb.erfurt", "Stadtverwaltung Erfurt", StaffRole.CLERK),
    ("admin.tlvwa", "Thüringer Landesverwaltungsamt", StaffRole.ADMIN),
]


def _address(gebiet: Gebiet, city: str | None = None, plz: str | None = None) -> dict[str, str]:
    street = "Marktplatz 1"
    return {
        "postal_street": street,
        "postal_code": plz or gebiet.seat_plz,
        "postal_city": city or gebiet.display_name,
        "visitor_street": street,
        "visitor_code": plz or gebiet.seat_plz,
        "visitor_city": city or gebiet.display_name,
    }


def _contact(slug: str) -> dict[str, Any]:
    return {
        "phone": "+49 361 000000",
        "email": f"poststelle@{slug}.demo.verbund.invalid",
        "opening_hours": OPENING_HOURS,
        "is_demo_data": True,
        "tenant_status": TenantStatus.JOINED,
    }


def _slug(prefix: str, gebiet: Gebiet) -> str:
    return slugify(f"{prefix} {gebiet.display_name} {gebiet.key}")[:80]


def _seat_gemeinde(verband: Gebiet) -> Gebiet | None:
    members = gebiete_queries.gemeinden_of_verband(verband)
    seat = verband.seat.split("/")[0].split(" a. ")[0]
    for member in members:
        if member.display_name == seat or member.name == verband.seat:
            return member
    return members.order_by("-population").first()


# Authority names are German proper names: never the translated labels of AuthorityKind
# (the active language would otherwise change names and slugs of the demo data).
NAME_PREFIX = {
    AuthorityKind.STADTVERWALTUNG: "Stadtverwaltung",
    AuthorityKind.GEMEINDEVERWALTUNG: "Gemeindeverwaltung",
}


def _gemeinde_kind(gemeinde: Gebiet) -> AuthorityKind:
    if gemeinde.type in {
        GebietType.STADT,
        GebietType.KREISFREIE_STADT,
        GebietType.GROSSE_KREISSTADT,
    }:
        return AuthorityKind.STADTVERWALTUNG
    return AuthorityKind.GEMEINDEVERWALTUNG


def _upsert(
    slug: str, name: str, kind: str, gebiet: Gebiet, grob: str, address: dict[str, str]
) -> Authority:
    authority, _ = upsert_authority(
        slug=slug, actor=ACTOR, name=name, kind=kind, gebiet=gebiet, **address, **_contact(slug)
    )
    add_leitweg_id(
        authority=authority,
        value=str(make_leitweg_id(grob, "0001")),
        actor=ACTOR,
        description="Rechnungseingang (Demodaten)",
    )
    return authority


def _load_kreis_administrations(current: QuerySet[Gebiet]) -> int:
    """Landratsämter and the Stadtverwaltungen of kreisfreie Städte."""
    count = 0
    for kreis in current.filter(level=Level.KREIS):
        if kreis.is_kreisfrei:
            stadt = current.get(level=Level.GEMEINDE, key=f"{kreis.key}000")
            _upsert(
                _slug("stadtverwaltung", stadt),
                f"Stadtverwaltung {stadt.display_name}",
                AuthorityKind.STADTVERWALTUNG,
                stadt,
                stadt.ags,
                _address(stadt),
            )
        else:
            seat = (
                current.filter(level=Level.GEMEINDE, kreis=kreis, name__startswith=kreis.seat)
                .order_by("-population")
                .first()
            )
            _upsert(
                _slug("landratsamt", kreis),
                f"Landratsamt {kreis.display_name}",
                AuthorityKind.LANDRATSAMT,
                kreis,
                kreis.key,
                _address(seat or kreis, city=kreis.seat, plz=seat.seat_plz if seat else ""),
            )
        count += 1
    return count


def _load_verband_administrations(current: QuerySet[Gebiet]) -> int:
    """VG administrations and erfüllende Gemeinden with the Gemeinden they serve."""
    count = 0
    for verband in current.filter(level=Level.VERBAND).select_related("erfuellende_gemeinde"):
        if verband.type == GebietType.ERFUELLENDE_GEMEINDE:
            erfuellende = verband.erfuellende_gemeinde
            if erfuellende is None:
                continue
            prefix = NAME_PREFIX[_gemeinde_kind(erfuellende)]
            _upsert(
                _slug(str(prefix), erfuellende),
                f"{prefix} {erfuellende.display_name}",
                _gemeinde_kind(erfuellende),
                erfuellende,
                erfuellende.ags,
                _address(erfuellende),
            )
            count += 1
            # The Gemeinden it serves keep their eigener Wirkungskreis (e.g. dog tax).
            for member in current.filter(level=Level.GEMEINDE, verband=verband).exclude(
                pk=erfuellende.pk
            ):
                _upsert(
                    _slug("gemeinde", member),
                    f"Gemeinde {member.display_name}",
                    _gemeinde_kind(member),
                    member,
                    member.ags,
                    _address(member),
                )
                count += 1
        else:
            seat = _seat_gemeinde(verband)
            _upsert(
                _slug("vg", verband),
                f"Verwaltungsgemeinschaft {verband.name}",
                AuthorityKind.VG_VERWALTUNG,
                verband,
                verband.key,
                _address(seat or verband, city=verband.seat, plz=seat.seat_plz if seat else ""),
            )
            count += 1
    return count


def _load_verbandsfreie_gemeinden(current: QuerySet[Gebiet]) -> int:
    """The administrations of Gemeinden that belong to no Verband."""
    count = 0
    for gemeinde in current.filter(level=Level.GEMEINDE, verband__isnull=True).exclude(
        type=GebietType.KREISFREIE_STADT
    ):
        kind = _gemeinde_kind(gemeinde)
        _upsert(
            _slug(NAME_PREFIX[kind], gemeinde),
            f"{NAME_PREFIX[kind]} {gemeinde.display_name}",
            kind,
            gemeinde,
            gemeinde.ags,
            _address(gemeinde),
        )
        count += 1
    return count


def _load_land_authorities(land: Gebiet) -> int:
    """The Land's own authorities, with their Leitweg-IDs."""
    count = 0
    for spec in LAND_AUTHORITIES.get(land.key, []):
        authority, _ = upsert_authority(
            slug=spec["slug"],
            actor=ACTOR,
            name=spec["name"],
            kind=spec["kind"],
            gebiet=land,
            website=spec["website"],
            **_address(land, city=spec["city"], plz=spec["plz"]),
            **_contact(spec["slug"]),
        )
        add_leitweg_id(
            authority=authority,
            value=str(make_leitweg_id(land.key, spec["fein"])),
            actor=ACTOR,
            description="Rechnungseingang (Demodaten)",
        )
        count += 1
    return count


def _assign_demo_staff() -> int:
    """The demo staff accounts (accounts/demo.py) to their authorities."""
    memberships = 0
    for username, authority_name, role in DEMO_STAFF:
        user = find_user_by_login(username)
        workplace = all_authorities().filter(name=authority_name).order_by("pk").first()
        if user is None or workplace is None:
            continue
        upsert_staff_membership(user=user, authority=workplace, role=role, actor=ACTOR)
        memberships += 1
    return memberships


@transaction.atomic
def load(*, out: Callable[[str], None]) -> None:
    land = gebiete_queries.find_land(settings.VERBUND_LAND)
    if land is None:
        out("Kein Land geladen; Behörden übersprungen.")
        return
    current = gebiete_queries.current_gebiete(land)
    count = (
        _load_kreis_administrations(current)
        + _load_verband_administrations(current)
        + _load_verbandsfreie_gemeinden(current)
        + _load_land_authorities(land)
    )
    out(f"{count} Behörden mit Leitweg-IDs (Anschriften sind Demodaten).")
    memberships = _assign_demo_staff()
    out(f"{memberships} Demo-Beschäftigte ihren Behörden zugeordnet.")
