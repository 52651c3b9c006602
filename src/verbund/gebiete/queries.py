"""Reads of the territorial directory. Public data: no tenant checks needed here."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from verbund.core.errors import InvalidInput, NotFound
from verbund.gebiete.models import Gebiet, GebietType, Level, Postleitzahl

AGS_PATTERN = re.compile(r"^\d{8}$")
ARS_PATTERN = re.compile(r"^\d{12}$")
PLZ_PATTERN = re.compile(r"^\d{5}$")
KREIS_PATTERN = re.compile(r"^\d{5}$")


def _gemeinden() -> QuerySet[Gebiet]:
    return (
        Gebiet.objects.filter(level=Level.GEMEINDE)
        .select_related("kreis", "verband", "verband__erfuellende_gemeinde", "land", "successor")
        .prefetch_related(
            Prefetch("postleitzahlen", queryset=Postleitzahl.objects.order_by("plz", "ort"))
        )
    )


def validate_ags(ags: str) -> str:
    if not AGS_PATTERN.match(ags):
        raise InvalidInput(
            f"„{ags}“ ist kein Amtlicher Gemeindeschlüssel (8 Ziffern).", code="invalid_ags"
        )
    return ags


def get_gemeinde(ags: str) -> Gebiet:
    """The Gemeinde with this AGS (also one that has ended: it keeps its successor link)."""
    validate_ags(ags)
    unit = _gemeinden().filter(key=ags).first()
    if unit is None:
        raise NotFound(f"Es gibt keine Gemeinde mit dem Schlüssel {ags}.", code="unknown_ags")
    return unit


def get_gemeinde_by_ars(ars: str) -> Gebiet:
    if not ARS_PATTERN.match(ars):
        raise InvalidInput(
            f"„{ars}“ ist kein Amtlicher Regionalschlüssel (12 Ziffern).", code="invalid_ars"
        )
    unit = _gemeinden().filter(ars=ars, valid_until__isnull=True).first()
    if unit is None:
        unit = _gemeinden().filter(ars=ars).first()
    if unit is None:
        raise NotFound(
            f"Es gibt keine Gemeinde mit dem Regionalschlüssel {ars}.", code="unknown_ars"
        )
    return unit


def stadt_of(kreis: Gebiet) -> Gebiet | None:
    """The Gemeinde row of a kreisfreie Stadt (Kreis and Gemeinde at once, same key + 000)."""
    return Gebiet.objects.filter(
        level=Level.GEMEINDE, key=f"{kreis.key}000", valid_until__isnull=True
    ).first()


def gemeinden_for_plz(plz: str, *, ort: str | None = None) -> list[Gebiet]:
    """Current Gemeinden whose area the PLZ covers; `ort` narrows by place or Gemeinde name."""
    if not PLZ_PATTERN.match(plz):
        raise InvalidInput(f"„{plz}“ ist keine Postleitzahl (5 Ziffern).", code="invalid_plz")
    units = list(
        _gemeinden()
        .filter(postleitzahlen__plz=plz, valid_until__isnull=True)
        .distinct()
        .order_by("name")
    )
    if ort:
        wanted = ort.strip().casefold()
        narrowed = [
            u
            for u in units
            if wanted in {u.display_name.casefold(), u.name.casefold()}
            or any(p.plz == plz and p.ort.casefold() == wanted for p in u.postleitzahlen.all())
        ]
        if narrowed:
            return narrowed
    return units


def get_kreis(key: str) -> Gebiet:
    if not KREIS_PATTERN.match(key):
        raise InvalidInput(f"„{key}“ ist kein Kreisschlüssel (5 Ziffern).", code="invalid_key")
    unit = Gebiet.objects.filter(level=Level.KREIS, key=key).select_related("land").first()
    if unit is None:
        raise NotFound(f"Es gibt keinen Kreis mit dem Schlüssel {key}.", code="unknown_kreis")
    return unit


def get_land(key: str) -> Gebiet:
    unit = Gebiet.objects.filter(level=Level.LAND, key=key).first()
    if unit is None:
        raise NotFound(
            f"Das Land {key} ist nicht geladen. Bitte `verbund load-demo` ausführen.",
            code="unknown_land",
        )
    return unit


def find_land(key: str) -> Gebiet | None:
    """The Land with this key, or None before the directory is loaded."""
    return Gebiet.objects.filter(level=Level.LAND, key=key).first()


def current_gebiete(land: Gebiet | None = None) -> QuerySet[Gebiet]:
    """Every Gebiet of today's directory (of one Land, if given)."""
    current = Gebiet.objects.filter(valid_until__isnull=True)
    return current.filter(land=land) if land is not None else current


def gemeinden_with_history() -> QuerySet[Gebiet]:
    """Every Gemeinde ever loaded, also those merged away (old AGS in links and cases keep
    resolving), with the units a lookup names."""
    return Gebiet.objects.filter(level=Level.GEMEINDE).select_related(
        "kreis", "verband", "verband__erfuellende_gemeinde", "land"
    )


def gemeinden_of_verband(verband: Gebiet) -> QuerySet[Gebiet]:
    return Gebiet.objects.filter(level=Level.GEMEINDE, verband=verband, valid_until=None)


def postleitzahl_rows() -> Iterable[tuple[str, int, str]]:
    """Every (PLZ, Gemeinde id, Ort) of the PLZ directory."""
    return Postleitzahl.objects.values_list("plz", "gemeinde_id", "ort")


def kreise_of(land: Gebiet) -> QuerySet[Gebiet]:
    return Gebiet.objects.filter(level=Level.KREIS, land=land, valid_until__isnull=True)


def gemeinden_of_kreis(kreis: Gebiet) -> QuerySet[Gebiet]:
    return (
        Gebiet.objects.filter(level=Level.GEMEINDE, kreis=kreis, valid_until__isnull=True)
        .select_related("verband")
        .order_by("name")
    )


def plz_of(gemeinde: Gebiet) -> list[str]:
    return sorted({p.plz for p in gemeinde.postleitzahlen.all()})


def is_verbandsfrei(gemeinde: Gebiet) -> bool:
    return gemeinde.verband_id is None


def count_current(land: Gebiet) -> dict[str, int]:
    base = Gebiet.objects.filter(land=land, valid_until__isnull=True)
    return {
        "kreise": base.filter(level=Level.KREIS).count(),
        "kreisfreie_staedte": base.filter(
            level=Level.KREIS, type=GebietType.KREISFREIE_STADT
        ).count(),
        "verwaltungsgemeinschaften": base.filter(
            level=Level.VERBAND, type=GebietType.VERWALTUNGSGEMEINSCHAFT
        ).count(),
        "erfuellende_gemeinden": base.filter(
            level=Level.VERBAND, type=GebietType.ERFUELLENDE_GEMEINDE
        ).count(),
        "gemeinden": base.filter(level=Level.GEMEINDE).count(),
    }
