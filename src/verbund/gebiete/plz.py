"""Parser for the PLZ ↔ AGS list (CSV with columns ags, ort, plz; more are ignored)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from verbund.core.errors import InvalidSourceFile
from verbund.gebiete.actions import PlzRow

REQUIRED_COLUMNS = ("ags", "ort", "plz")


def parse_plz_csv(lines: Iterable[str]) -> Iterator[PlzRow]:
    """Rows with PLZ zero-padded to 5 and AGS to 8 digits (spreadsheets drop leading zeros)."""
    reader = csv.DictReader(lines)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidSourceFile(
            f"Spalte(n) {', '.join(missing)} fehlen in der Kopfzeile.", line=1, field="Kopfzeile"
        )
    for row in reader:
        line = reader.line_num
        plz = (row.get("plz") or "").strip()
        ags = (row.get("ags") or "").strip()
        if not plz.isdigit() or len(plz) > 5:
            raise InvalidSourceFile(f"{plz!r} ist keine Postleitzahl.", line=line, field="plz")
        if not ags.isdigit() or len(ags) > 8:
            raise InvalidSourceFile(f"{ags!r} ist kein Gemeindeschlüssel.", line=line, field="ags")
        yield PlzRow(
            line=line, plz=plz.zfill(5), ags=ags.zfill(8), ort=(row.get("ort") or "").strip()
        )
