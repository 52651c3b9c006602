"""The compact directory fixture shipped with Verbund, so the demo runs without ../shared.

It is written by `verbund export-gebiete-fixture` from a database filled by the importers
(GV100AD + PLZ list) and read back through the same import actions.
"""

from __future__ import annotations

import datetime
import gzip
import json
from pathlib import Path
from typing import Any

from verbund.gebiete.actions import PlzRow
from verbund.gebiete.gv100ad import Record
from verbund.gebiete.models import Gebiet, Level, Postleitzahl

FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures"
ATTRIBUTION = (
    "Gemeindeverzeichnis: © Statistisches Bundesamt (Destatis), Gemeindeverzeichnis-"
    "Informationssystem GV-ISys, Gebietsstand {stand}; Datenlizenz Deutschland – "
    "Namensnennung – Version 2.0 (dl-de/by-2-0). Postleitzahlen: © OpenStreetMap-Mitwirkende, "
    "ODbL. Auszug erzeugt mit `verbund export-gebiete-fixture`."
)
RECORD_FIELDS = [
    "level",
    "key",
    "ars",
    "ags",
    "name",
    "type",
    "seat",
    "land_key",
    "rb_key",
    "kreis_key",
    "verband_key",
    "area_ha",
    "population",
    "population_male",
    "seat_plz",
]


def fixture_path(land: str) -> Path:
    return FIXTURE_DIR / f"gebiete-{land}.json.gz"


def write_fixture(*, land: str, path: Path) -> dict[str, int]:
    units = list(
        Gebiet.objects.filter(key__startswith=land, valid_until__isnull=True)
        .select_related("land", "regierungsbezirk", "kreis", "verband")
        .order_by("key")
    )
    if not units:
        raise ValueError(f"Land {land} is not in the database; import it first.")
    stand = max(u.gebietsstand for u in units)
    records = []
    for u in units:
        records.append(
            [
                u.level,
                u.key,
                u.ars,
                u.ags,
                u.name,
                u.type,
                u.seat,
                land,
                u.regierungsbezirk.key if u.regierungsbezirk else None,
                u.kreis.key if u.kreis else None,
                # A Gemeinde's Verband key is in its ARS even when it is verbandsfrei.
                (u.ars[:9] if u.level == Level.GEMEINDE else None),
                u.area_ha,
                u.population,
                u.population_male,
                u.seat_plz,
            ]
        )
    plz = [
        [p.plz, p.gemeinde.ags, p.ort]
        for p in Postleitzahl.objects.filter(gemeinde__key__startswith=land)
        .select_related("gemeinde")
        .order_by("plz", "gemeinde__key", "ort")
    ]
    payload = {
        "attribution": ATTRIBUTION.format(stand=f"{stand:%d.%m.%Y}"),
        "gebietsstand": stand.isoformat(),
        "land": land,
        "fields": RECORD_FIELDS,
        "records": records,
        "plz": plz,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    # mtime=0 keeps the file byte-identical when the data did not change.
    with path.open("wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
        gz.write(raw)
    return {"records": len(records), "plz": len(plz)}


def read_fixture(path: Path) -> tuple[list[Record], list[PlzRow]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        payload: dict[str, Any] = json.load(fh)
    stand = datetime.date.fromisoformat(payload["gebietsstand"])
    records = []
    for index, row in enumerate(payload["records"], start=1):
        values = dict(zip(payload["fields"], row, strict=True))
        records.append(Record(line=index, gebietsstand=stand, **values))
    plz = [
        PlzRow(line=index, plz=p, ags=a, ort=o)
        for index, (p, a, o) in enumerate(payload["plz"], start=1)
    ]
    return records, plz
