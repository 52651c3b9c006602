"""The compact LeiKa/OZG fixture shipped with Verbund, so the demo runs without ../shared.

`verbund export-leika-fixture` writes it from a database that the importers filled; the
demo reads it back through the same import actions. It holds keys, names, the OZG
structure, Typisierung and legal-basis references, nothing else.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from verbund.catalogue.leika import LebenslageRow, LeikaRow, OzgLeistungRow, ZuordnungRow
from verbund.catalogue.models import Lebenslage, OzgLeistung, Service, split_lines

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "leika-ozg.json.gz"
ATTRIBUTION = (
    "LeiKa-Leistungsschlüssel und -bezeichnungen sowie OZG-Struktur (Themenfelder, "
    "Lebenslagen, OZG-Leistungen, Zuordnung mit Typisierung und Rechtsgrundlagen): "
    "OZG-Datenbank NRW (kdn-nrw, LeiKa-Import vom 05.10.2019) und Leistungstitel des "
    "Portalverbunds (PVOG); öffentliche Katalogangaben. Auszug erzeugt mit "
    "`verbund export-leika-fixture`."
)


def write_fixture(path: Path = FIXTURE) -> dict[str, int]:
    leika: list[list[str]] = []
    zuordnung: list[list[Any]] = []
    services = (
        Service.objects.exclude(leika_key="").select_related("ozg_leistung").order_by("leika_key")
    )
    for service in services:
        official = service.leika_name or service.name
        leika.append([service.leika_key, official, "verified"])
        for other in split_lines(service.synonyms) if not service.is_curated else []:
            leika.append([service.leika_key, other, "seen"])
        if service.name_2 and not service.is_curated:
            leika.append([service.leika_key, service.name_2, "seen"])
        if service.ozg_leistung_id or service.typisierung:
            zuordnung.append(
                [
                    service.leika_key,
                    official,
                    service.ozg_leistung.ozg_id if service.ozg_leistung else None,
                    service.typisierung,
                    service.legal_basis if not service.is_curated else "",
                ]
            )
    lebenslagen = [
        [x.ozg_id, x.name, x.themenfeld.name if x.themenfeld else ""]
        for x in Lebenslage.objects.exclude(ozg_id=None)
        .select_related("themenfeld")
        .order_by("ozg_id")
    ]
    leistungen = [
        [o.ozg_id, o.name, o.lebenslage.ozg_id if o.lebenslage else None]
        for o in OzgLeistung.objects.select_related("lebenslage").order_by("ozg_id")
    ]
    if not leika:
        raise ValueError("The catalogue holds no LeiKa keys; import them first.")
    payload = {
        "attribution": ATTRIBUTION,
        "leika": leika,
        "lebenslagen": lebenslagen,
        "ozg_leistungen": leistungen,
        "zuordnung": zuordnung,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    # mtime=0 keeps the file byte-identical when the data did not change.
    with path.open("wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
        gz.write(raw)
    return {
        "leika": len(leika),
        "lebenslagen": len(lebenslagen),
        "ozg_leistungen": len(leistungen),
        "zuordnung": len(zuordnung),
    }


def read_fixture(
    path: Path = FIXTURE,
) -> tuple[list[LeikaRow], list[LebenslageRow], list[OzgLeistungRow], list[ZuordnungRow]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        payload: dict[str, Any] = json.load(fh)
    leika = [
        LeikaRow(line=i, key=k, name=n, confidence=c)
        for i, (k, n, c) in enumerate(payload["leika"], start=1)
    ]
    lebenslagen = [
        LebenslageRow(line=i, ozg_id=o, name=n, themenfeld=t)
        for i, (o, n, t) in enumerate(payload["lebenslagen"], start=1)
    ]
    leistungen = [
        OzgLeistungRow(line=i, ozg_id=o, name=n, lebenslage_id=p)
        for i, (o, n, p) in enumerate(payload["ozg_leistungen"], start=1)
    ]
    zuordnung = [
        ZuordnungRow(line=i, key=k, name=n, ozg_id=o, typisierung=t, legal_basis=b)
        for i, (k, n, o, t, b) in enumerate(payload["zuordnung"], start=1)
    ]
    return leika, lebenslagen, leistungen, zuordnung
