"""Parser for the Destatis GV100AD fixed-width municipality directory.

Pure functions: lines in, records out; no database. Record layout (character positions,
end exclusive) as documented by Destatis for the Gemeindeverzeichnis-Informationssystem:
Satzart 0-2, Gebietsstand 2-10, AGS 10-18, Gemeindeverband 18-22, name 22-72,
Verwaltungssitz 72-122, type 122-124, area 128-139, population 139-150 (male 150-161),
PLZ of the seat 165-170.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from verbund.core.errors import InvalidSourceFile
from verbund.gebiete.models import GebietType, Level

SATZART_LEVEL = {
    "10": Level.LAND,
    "20": Level.REGIERUNGSBEZIRK,
    "40": Level.KREIS,
    "50": Level.VERBAND,
    "60": Level.GEMEINDE,
}
SATZART_REGION = "30"  # Regionen exist only in Baden-Württemberg's planning; not kept.

KREIS_TYPES = {
    "41": GebietType.KREISFREIE_STADT,
    "42": GebietType.STADTKREIS,
    "43": GebietType.KREIS,
    "44": GebietType.LANDKREIS,
    "45": GebietType.REGIONALVERBAND,
}
VERBAND_FREI = "50"  # "verbandsfreie Gemeinde": a placeholder, not an association
VERBAND_TYPES = {
    "51": GebietType.AMT,
    "52": GebietType.SAMTGEMEINDE,
    "53": GebietType.VERBANDSGEMEINDE,
    "54": GebietType.VERWALTUNGSGEMEINSCHAFT,
    "55": GebietType.KIRCHSPIELSLANDGEMEINDE,
    "56": GebietType.VERWALTUNGSVERBAND,
    "57": GebietType.VG_TRAEGERMODELL,
    "58": GebietType.ERFUELLENDE_GEMEINDE,
}
GEMEINDE_TYPES = {
    "60": GebietType.MARKT,
    "61": GebietType.KREISFREIE_STADT,
    "62": GebietType.STADTKREIS,
    "63": GebietType.STADT,
    "64": GebietType.GEMEINDE,
    "65": GebietType.GEMEINDEFREIES_GEBIET,
    "66": GebietType.GEMEINDEFREIES_GEBIET,
    "67": GebietType.GROSSE_KREISSTADT,
}


@dataclass(frozen=True, slots=True)
class Record:
    """One unit of the directory, with its keys already composed."""

    line: int
    level: str
    key: str
    ars: str
    ags: str
    name: str
    type: str
    seat: str
    gebietsstand: datetime.date
    land_key: str
    rb_key: str | None
    kreis_key: str | None
    verband_key: str | None
    area_ha: int | None = None
    population: int | None = None
    population_male: int | None = None
    seat_plz: str = ""


def _digits(value: str, *, line: int, field: str, length: int) -> str:
    if len(value) != length or not value.isdigit():
        raise InvalidSourceFile(
            f"{value!r} ist kein {length}-stelliger Zahlenschlüssel.", line=line, field=field
        )
    return value


def _number(value: str, *, line: int, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidSourceFile(f"{value!r} ist keine Zahl.", line=line, field=field)
    return int(value)


def _date(value: str, *, line: int) -> datetime.date:
    try:
        return datetime.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise InvalidSourceFile(
            f"{value!r} ist kein Datum der Form JJJJMMTT.", line=line, field="Gebietsstand"
        ) from None


def parse_line(text: str, *, line: int) -> Record | None:
    """Parse one line; None for lines that carry nothing Verbund keeps (blank, Region,
    the placeholder Verband of a verbandsfreie Gemeinde)."""
    if not text.strip():
        return None
    satzart = text[0:2]
    if satzart == SATZART_REGION:
        return None
    level = SATZART_LEVEL.get(satzart)
    if level is None:
        raise InvalidSourceFile(
            f"{satzart!r} ist keine bekannte Satzart (10, 20, 30, 40, 50, 60).",
            line=line,
            field="Satzart",
        )
    if len(text) < 124 and level not in (Level.LAND, Level.REGIERUNGSBEZIRK):
        raise InvalidSourceFile(
            f"Der Satz ist {len(text)} Zeichen lang, erwartet sind mindestens 124.",
            line=line,
            field="Satzlänge",
        )
    gebietsstand = _date(text[2:10], line=line)
    land = _digits(text[10:12], line=line, field="Land", length=2)
    name = text[22:72].strip()
    if not name:
        raise InvalidSourceFile("Der Name fehlt.", line=line, field="Name")
    seat = text[72:122].strip()
    type_code = text[122:124].strip()
    common: dict[str, Any] = {
        "line": line,
        "level": level,
        "name": name,
        "seat": seat,
        "gebietsstand": gebietsstand,
        "land_key": land,
    }

    if level == Level.LAND:
        return Record(
            key=land,
            ags=land,
            ars=land.ljust(12, "0"),
            type=GebietType.LAND,
            rb_key=None,
            kreis_key=None,
            verband_key=None,
            **common,
        )
    rb = _digits(text[12:13], line=line, field="Regierungsbezirk", length=1)
    rb_key = land + rb if rb != "0" else None
    if level == Level.REGIERUNGSBEZIRK:
        return Record(
            key=land + rb,
            ags=land + rb,
            ars=(land + rb).ljust(12, "0"),
            type=GebietType.REGIERUNGSBEZIRK,
            rb_key=None,
            kreis_key=None,
            verband_key=None,
            **common,
        )
    kreis = land + rb + _digits(text[13:15], line=line, field="Kreis", length=2)
    if level == Level.KREIS:
        kreis_type = KREIS_TYPES.get(type_code)
        if kreis_type is None:
            raise InvalidSourceFile(
                f"{type_code!r} ist kein Kreistyp (41-45).", line=line, field="Typ"
            )
        return Record(
            key=kreis,
            ags=kreis,
            ars=kreis.ljust(12, "0"),
            type=kreis_type,
            rb_key=rb_key,
            kreis_key=None,
            verband_key=None,
            **common,
        )
    verband = _digits(text[18:22], line=line, field="Gemeindeverband", length=4)
    if level == Level.VERBAND:
        if type_code == VERBAND_FREI:
            return None
        verband_type = VERBAND_TYPES.get(type_code)
        if verband_type is None:
            raise InvalidSourceFile(
                f"{type_code!r} ist kein Verbandstyp (50-58).", line=line, field="Typ"
            )
        return Record(
            key=kreis + verband,
            ags="",
            ars=kreis + verband + "000",
            type=verband_type,
            rb_key=rb_key,
            kreis_key=kreis,
            verband_key=None,
            **common,
        )
    gemeinde = _digits(text[15:18], line=line, field="Gemeinde", length=3)
    gemeinde_type = GEMEINDE_TYPES.get(type_code)
    if gemeinde_type is None:
        raise InvalidSourceFile(
            f"{type_code!r} ist kein Gemeindetyp (60-67).", line=line, field="Typ"
        )
    plz = text[165:170].strip()
    if plz and (len(plz) != 5 or not plz.isdigit()):
        raise InvalidSourceFile(f"{plz!r} ist keine fünfstellige PLZ.", line=line, field="PLZ")
    return Record(
        key=kreis + gemeinde,
        ags=kreis + gemeinde,
        ars=kreis + verband + gemeinde,
        type=gemeinde_type,
        rb_key=rb_key,
        kreis_key=kreis,
        verband_key=kreis + verband,
        area_ha=_number(text[128:139], line=line, field="Fläche"),
        population=_number(text[139:150], line=line, field="Bevölkerung"),
        population_male=_number(text[150:161], line=line, field="Bevölkerung männlich"),
        seat_plz=plz,
        **common,
    )


def parse_gv100ad(lines: Iterable[str], *, land: str | None = None) -> Iterator[Record]:
    """Records of the file, restricted to one Land when `land` is given ("16")."""
    for number, text in enumerate(lines, start=1):
        text = text.rstrip("\r\n")
        if land is not None and text[10:12] != land and text.strip():
            # Still reject garbage: a record of another Land must at least have a Satzart.
            if text[0:2] not in SATZART_LEVEL and text[0:2] != SATZART_REGION:
                parse_line(text, line=number)
            continue
        record = parse_line(text, line=number)
        if record is not None:
            yield record
