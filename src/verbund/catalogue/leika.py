"""Readers of the LeiKa and OZG catalogue files (pure: no database).

- `leistungen.csv`: `leika_key,name,source,confidence`; a key may appear several times
  (the LeiKa name of 2019 marked `verified`, newer citizen-facing names marked `seen`).
- `ozg_lebenslagen.csv`: `lebenslage_id,lebenslage,themenfeld`.
- `ozg_leistungen.csv`: `ozg_id,ozg_leistung,lebenslage_id`.
- `leika_ozg_zuordnung.csv`: `leika_key,name,ozg_id,typisierung,rechtsgrundlage`.

Every row keeps its line number, and every error names the line and the field.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from verbund.core.errors import InvalidSourceFile

LEIKA_KEY = re.compile(r"99\d{12}")
NAME_MAX = 300

# Areas of the LeiKa that were renumbered after the 2019 import (see the data README):
# Leistungsobjekt prefix of 2019 → prefixes of the newer keys. A 2019 key in such an area
# is kept but marked outdated once the file holds a newer key of the replacing area.
RENUMBERED_AREAS: dict[str, tuple[str, ...]] = {
    "99036008": ("99036020", "99036024", "99036025", "99036026"),  # Fahrzeugzulassung
    "99023": ("99108047", "99108049", "99108062"),  # Fahrerlaubnis, Führerschein
    "99012008": ("99012070", "99012071"),  # Baugenehmigung
    "99012001": ("99012077",),  # Abbruchgenehmigung
}

CONFIDENCE_VERIFIED = "verified"


@dataclass(frozen=True, slots=True)
class LeikaRow:
    line: int
    key: str
    name: str
    confidence: str


@dataclass
class LeikaEntry:
    """One key with its names: `name` is the LeiKa Leistungsbezeichnung (the 2019 name when
    there is one), `name_2` the newest citizen-facing name when it differs."""

    key: str
    name: str
    name_2: str = ""
    other_names: list[str] = field(default_factory=list)
    is_outdated: bool = False


@dataclass(frozen=True, slots=True)
class LebenslageRow:
    line: int
    ozg_id: int
    name: str
    themenfeld: str


@dataclass(frozen=True, slots=True)
class OzgLeistungRow:
    line: int
    ozg_id: int
    name: str
    lebenslage_id: int


@dataclass(frozen=True, slots=True)
class ZuordnungRow:
    line: int
    key: str
    name: str
    ozg_id: int | None
    typisierung: str
    legal_basis: str


def _rows(lines: Iterable[str], required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(lines)
    header = [h.strip().lstrip("\ufeff") for h in (reader.fieldnames or [])]
    missing = [name for name in required if name not in header]
    if missing:
        raise InvalidSourceFile(
            f"Die Kopfzeile enthält die Spalte(n) {', '.join(missing)} nicht.", line=1
        )
    reader.fieldnames = header
    for record in reader:
        line = reader.line_num
        if None in record:
            raise InvalidSourceFile("Die Zeile hat mehr Felder als die Kopfzeile.", line=line)
        values = {k: (v or "").strip() for k, v in record.items()}
        if not any(values.values()):
            continue
        yield line, values


def _key(value: str, line: int, field_name: str) -> str:
    if not LEIKA_KEY.fullmatch(value):
        raise InvalidSourceFile(
            f"„{value}“ ist kein Leistungsschlüssel (14 Ziffern, beginnend mit 99).",
            line=line,
            field=field_name,
        )
    return value


def _name(value: str, line: int, field_name: str) -> str:
    if not value:
        raise InvalidSourceFile("Die Bezeichnung fehlt.", line=line, field=field_name)
    if len(value) > NAME_MAX:
        raise InvalidSourceFile(
            f"Die Bezeichnung ist länger als {NAME_MAX} Zeichen.", line=line, field=field_name
        )
    return value


def _int(value: str, line: int, field_name: str) -> int:
    if not value.isdigit():
        raise InvalidSourceFile(f"„{value}“ ist keine Nummer.", line=line, field=field_name)
    return int(value)


def parse_leistungen(lines: Iterable[str]) -> Iterator[LeikaRow]:
    for line, values in _rows(lines, ("leika_key", "name")):
        yield LeikaRow(
            line=line,
            key=_key(values["leika_key"], line, "leika_key"),
            name=_name(values["name"], line, "name"),
            confidence=values.get("confidence", ""),
        )


def parse_lebenslagen(lines: Iterable[str]) -> Iterator[LebenslageRow]:
    for line, values in _rows(lines, ("lebenslage_id", "lebenslage", "themenfeld")):
        yield LebenslageRow(
            line=line,
            ozg_id=_int(values["lebenslage_id"], line, "lebenslage_id"),
            name=_name(values["lebenslage"], line, "lebenslage"),
            themenfeld=_name(values["themenfeld"], line, "themenfeld"),
        )


def parse_ozg_leistungen(lines: Iterable[str]) -> Iterator[OzgLeistungRow]:
    for line, values in _rows(lines, ("ozg_id", "ozg_leistung", "lebenslage_id")):
        yield OzgLeistungRow(
            line=line,
            ozg_id=_int(values["ozg_id"], line, "ozg_id"),
            name=_name(" ".join(values["ozg_leistung"].split()), line, "ozg_leistung"),
            lebenslage_id=_int(values["lebenslage_id"], line, "lebenslage_id"),
        )


def parse_zuordnung(lines: Iterable[str]) -> Iterator[ZuordnungRow]:
    required = ("leika_key", "name", "ozg_id", "typisierung", "rechtsgrundlage")
    for line, values in _rows(lines, required):
        ozg = values["ozg_id"]
        yield ZuordnungRow(
            line=line,
            key=_key(values["leika_key"], line, "leika_key"),
            name=_name(values["name"], line, "name"),
            # A few rows of the 2019 export name no OZG-Leistung; they stay unlinked.
            ozg_id=_int(ozg, line, "ozg_id") if ozg else None,
            typisierung=values["typisierung"][:20],
            legal_basis=values["rechtsgrundlage"],
        )


def merge_leika_rows(rows: Iterable[LeikaRow]) -> list[LeikaEntry]:
    """One entry per key, in file order. The LeiKa name of 2019 (`verified`) is the
    Leistungsbezeichnung; the newest different name becomes Leistungsbezeichnung II."""
    names: dict[str, list[LeikaRow]] = {}
    for row in rows:
        names.setdefault(row.key, []).append(row)
    entries = []
    for key, variants in names.items():
        verified = [r.name for r in variants if r.confidence == CONFIDENCE_VERIFIED]
        newer = [r.name for r in variants if r.confidence != CONFIDENCE_VERIFIED]
        name = verified[0] if verified else newer[0]
        distinct: list[str] = []
        for candidate in [*verified[1:], *newer]:
            if candidate.casefold() != name.casefold() and candidate.casefold() not in {
                d.casefold() for d in distinct
            }:
                distinct.append(candidate)
        later = [n for n in newer if n.casefold() != name.casefold()]
        entries.append(
            LeikaEntry(
                key=key,
                name=name,
                name_2=later[-1] if later else "",
                other_names=distinct,
            )
        )
    mark_renumbered(entries)
    return entries


def mark_renumbered(entries: list[LeikaEntry]) -> None:
    """Mark 2019 keys outdated where the file also holds keys of the area that replaced
    theirs: where a newer key replaces a 2019 key, the newer one counts."""
    keys = [e.key for e in entries]
    present = {
        old
        for old, new_prefixes in RENUMBERED_AREAS.items()
        if any(k.startswith(new_prefixes) for k in keys)
    }
    for entry in entries:
        entry.is_outdated = any(entry.key.startswith(old) for old in present)
