"""Writes to the territorial directory: imports of GV100AD, PLZ list and boundaries.

Each import is one transaction: a malformed file raises before anything is committed,
and the audit row is written together with the data.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from verbund.core.audit import Actor, record_audit
from verbund.core.errors import InvalidSourceFile
from verbund.gebiete.gv100ad import Record
from verbund.gebiete.models import Gebiet, GebietChange, GebietType, Level, Postleitzahl

LEVEL_ORDER = [Level.LAND, Level.REGIERUNGSBEZIRK, Level.KREIS, Level.VERBAND, Level.GEMEINDE]
DATA_FIELDS = [
    "ars",
    "ags",
    "name",
    "type",
    "seat",
    "area_ha",
    "population",
    "population_male",
    "seat_plz",
    "gebietsstand",
    "valid_until",
    "land_id",
    "regierungsbezirk_id",
    "kreis_id",
    "verband_id",
]


@dataclass
class GebieteReport:
    gebietsstand: datetime.date
    counts: dict[str, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ended: int = 0
    changes: Counter[str] = field(default_factory=Counter)
    without_successor: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "gebietsstand": self.gebietsstand.isoformat(),
            "counts": self.counts,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "ended": self.ended,
            "changes": dict(self.changes),
            "without_successor": self.without_successor,
        }


def _scope(lands: set[str]) -> list[Gebiet]:
    units: list[Gebiet] = []
    for land in sorted(lands):
        units.extend(Gebiet.objects.filter(key__startswith=land))
    return units


def _gebietsstand_of(rows: list[Record]) -> datetime.date:
    """The one Gebietsstand of the file; a file that mixes two is refused."""
    if not rows:
        raise InvalidSourceFile("Die Datei enthält keine Gebietssätze für das gewählte Land.")
    stand = rows[0].gebietsstand
    for record in rows:
        if record.gebietsstand != stand:
            raise InvalidSourceFile(
                f"Gebietsstand {record.gebietsstand:%d.%m.%Y} weicht vom Gebietsstand der "
                f"Datei ({stand:%d.%m.%Y}) ab.",
                line=record.line,
                field="Gebietsstand",
            )
    return stand


def _refuse_older(
    stand: datetime.date, existing: Mapping[tuple[str, str], Gebiet], *, allow_older: bool
) -> None:
    stored_stand = max((u.gebietsstand for u in existing.values() if u.is_current), default=None)
    if stored_stand and stand < stored_stand and not allow_older:
        raise InvalidSourceFile(
            f"Die Datei hat den Gebietsstand {stand:%d.%m.%Y}; gespeichert ist bereits der "
            f"neuere Stand {stored_stand:%d.%m.%Y}."
        )


def _upsert_level(
    level: str,
    level_rows: list[Record],
    existing: Mapping[tuple[str, str], Gebiet],
    pk_of: dict[tuple[str, str], int],
    report: GebieteReport,
    pending_changes: list[GebietChange],
    first_import: bool,
) -> None:
    """Create and update the units of one level in bulk; renames and new units are changes."""
    stand = report.gebietsstand
    seen: set[str] = set()
    to_create: list[Gebiet] = []
    to_update: list[Gebiet] = []
    for record in level_rows:
        if record.key in seen:
            raise InvalidSourceFile(
                f"Der Schlüssel {record.key} kommt doppelt vor.",
                line=record.line,
                field="Schlüssel",
            )
        seen.add(record.key)
        values = _values(record, pk_of)
        unit = existing.get((level, record.key))
        if unit is None:
            to_create.append(Gebiet(level=level, key=record.key, **values))
            continue
        changed = {f: v for f, v in values.items() if getattr(unit, f) != v}
        if not changed:
            report.unchanged += 1
            continue
        if "name" in changed:
            pending_changes.append(
                GebietChange(
                    gebiet=unit,
                    gebietsstand=stand,
                    kind=GebietChange.Kind.RENAMED,
                    details={"from": unit.name, "to": record.name},
                )
            )
        for attr, value in changed.items():
            setattr(unit, attr, value)
        to_update.append(unit)
    Gebiet.objects.bulk_create(to_create, batch_size=1000)
    Gebiet.objects.bulk_update(to_update, DATA_FIELDS, batch_size=500)
    report.created += len(to_create)
    report.updated += len(to_update)
    if not first_import:
        pending_changes.extend(
            GebietChange(gebiet=u, gebietsstand=stand, kind=GebietChange.Kind.CREATED)
            for u in to_create
        )
    for key, pk in Gebiet.objects.filter(level=level, key__in=seen).values_list("key", "pk"):
        pk_of[(level, key)] = pk
    report.counts[level] = len(level_rows)


@transaction.atomic
def import_gebiete(
    *,
    records: Iterable[Record],
    actor: Actor,
    successors: Mapping[str, str] | None = None,
    allow_older: bool = False,
) -> GebieteReport:
    """Upsert the directory from GV100AD records.

    Re-importing the same Gebietsstand changes nothing. A newer Gebietsstand updates names,
    memberships and figures, and marks units it no longer lists as ended (`valid_until`),
    linked to their successor, so that references to them keep working.
    """
    rows = list(records)
    stand = _gebietsstand_of(rows)
    lands = {r.land_key for r in rows}
    existing = {(u.level, u.key): u for u in _scope(lands)}
    first_import = not existing
    _refuse_older(stand, existing, allow_older=allow_older)

    report = GebieteReport(gebietsstand=stand)
    old_area = {u.key: u.area_ha or 0 for u in existing.values() if u.level == Level.GEMEINDE}
    old_verband = {u.key: u.verband_id for u in existing.values() if u.level == Level.GEMEINDE}
    by_level: dict[str, list[Record]] = defaultdict(list)
    for record in rows:
        by_level[record.level].append(record)
    pk_of: dict[tuple[str, str], int] = {k: u.pk for k, u in existing.items()}
    pending_changes: list[GebietChange] = []

    for level in LEVEL_ORDER:
        _upsert_level(
            level, by_level.get(level, []), existing, pk_of, report, pending_changes, first_import
        )

    current_keys = {(r.level, r.key) for r in rows}
    _link_erfuellende_gemeinden(by_level.get(Level.VERBAND, []), pk_of)
    _record_moves(
        by_level.get(Level.GEMEINDE, []), old_verband, pk_of, stand, pending_changes, first_import
    )
    vanished = [u for key, u in existing.items() if key not in current_keys and u.is_current]
    _end_units(
        vanished, stand, by_level, old_area, pk_of, successors or {}, report, pending_changes
    )
    GebietChange.objects.bulk_create(pending_changes, batch_size=1000)
    report.changes.update(c.kind for c in pending_changes)
    record_audit(
        action="gebiete.imported",
        actor=actor,
        object_type="gebiete.gebiet",
        details=report.as_dict(),
    )
    return report


def _values(record: Record, pk_of: dict[tuple[str, str], int]) -> dict[str, Any]:
    verband_id = None
    if record.level == Level.GEMEINDE and record.verband_key:
        verband_id = pk_of.get((Level.VERBAND, record.verband_key))
    return {
        "ars": record.ars,
        "ags": record.ags,
        "name": record.name,
        "type": record.type,
        "seat": record.seat,
        "area_ha": record.area_ha,
        "population": record.population,
        "population_male": record.population_male,
        "seat_plz": record.seat_plz,
        "gebietsstand": record.gebietsstand,
        "valid_until": None,
        "land_id": pk_of.get((Level.LAND, record.land_key)) if record.level != Level.LAND else None,
        "regierungsbezirk_id": pk_of.get((Level.REGIERUNGSBEZIRK, record.rb_key))
        if record.rb_key
        else None,
        "kreis_id": pk_of.get((Level.KREIS, record.kreis_key)) if record.kreis_key else None,
        "verband_id": verband_id,
    }


def _link_erfuellende_gemeinden(verbaende: list[Record], pk_of: dict[tuple[str, str], int]) -> None:
    """The erfüllende Gemeinde is the member that gives the arrangement its name."""
    for record in verbaende:
        if record.type != GebietType.ERFUELLENDE_GEMEINDE:
            continue
        verband_pk = pk_of[(Level.VERBAND, record.key)]
        members = list(
            Gebiet.objects.filter(level=Level.GEMEINDE, verband_id=verband_pk, valid_until=None)
        )
        match = [m for m in members if m.name == record.name] or [
            m for m in members if m.display_name == record.seat.split("/")[0]
        ]
        erfuellende = match[0].pk if len(match) == 1 else None
        Gebiet.objects.filter(pk=verband_pk).exclude(erfuellende_gemeinde_id=erfuellende).update(
            erfuellende_gemeinde_id=erfuellende
        )


def _record_moves(
    gemeinden: list[Record],
    old_verband: dict[str, int | None],
    pk_of: dict[tuple[str, str], int],
    stand: datetime.date,
    pending: list[GebietChange],
    first_import: bool,
) -> None:
    if first_import:
        return
    for record in gemeinden:
        if record.key not in old_verband:
            continue
        new = pk_of.get((Level.VERBAND, record.verband_key or ""))
        if old_verband[record.key] != new:
            pending.append(
                GebietChange(
                    gebiet_id=pk_of[(Level.GEMEINDE, record.key)],
                    gebietsstand=stand,
                    kind=GebietChange.Kind.MOVED,
                    details={"from_verband": old_verband[record.key], "to_verband": new},
                )
            )


def _end_units(
    vanished: list[Gebiet],
    stand: datetime.date,
    by_level: dict[str, list[Record]],
    old_area: dict[str, int],
    pk_of: dict[tuple[str, str], int],
    successors: Mapping[str, str],
    report: GebieteReport,
    pending: list[GebietChange],
) -> None:
    """Mark units a newer Gebietsstand no longer lists as ended and find their successor.

    An explicit `successors` entry wins. Otherwise a Gemeinde's successor is the Gemeinde of
    the same Kreis whose area grew by about the ended one's area (a merger moves land, and
    the area figures of GV100AD show where); a Verband's is the one that now holds most of
    its former members.
    """
    gemeinden_new = {r.key: r for r in by_level.get(Level.GEMEINDE, [])}
    growth = {
        key: (r.area_ha or 0) - old_area.get(key, 0)
        for key, r in gemeinden_new.items()
        if (r.area_ha or 0) > old_area.get(key, 0)
    }
    for unit in vanished:
        successor_key = successors.get(unit.key)
        if successor_key is None and unit.level == Level.GEMEINDE:
            candidates = [key for key in growth if gemeinden_new[key].kreis_key == (unit.key[:5])]
            if candidates:
                area = unit.area_ha or 0
                successor_key = min(candidates, key=lambda k: (abs(growth[k] - area), k))
        elif successor_key is None and unit.level == Level.VERBAND:
            members = Gebiet.objects.filter(verband=unit).values_list("key", flat=True)
            votes = Counter(gemeinden_new[m].verband_key for m in members if m in gemeinden_new)
            votes.pop(None, None)
            if votes:
                successor_key = votes.most_common(1)[0][0]
        successor_pk = pk_of.get((unit.level, successor_key)) if successor_key else None
        unit.valid_until = stand
        unit.successor_id = successor_pk
        unit.save(update_fields=["valid_until", "successor", "updated_at"])
        report.ended += 1
        if successor_pk:
            pending.append(
                GebietChange(
                    gebiet=unit,
                    gebietsstand=stand,
                    kind=GebietChange.Kind.MERGED,
                    details={"successor": successor_key},
                )
            )
        else:
            report.without_successor.append(unit.key)
            pending.append(
                GebietChange(gebiet=unit, gebietsstand=stand, kind=GebietChange.Kind.ENDED)
            )


@dataclass(frozen=True, slots=True)
class PlzRow:
    line: int
    plz: str
    ags: str
    ort: str


@dataclass
class PlzReport:
    pairs: int = 0
    plz: int = 0
    gemeinden: int = 0
    skipped_unknown_ags: int = 0
    via_successor: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@transaction.atomic
def import_plz(*, rows: Iterable[PlzRow], actor: Actor) -> PlzReport:
    """Replace the PLZ ↔ Gemeinde pairs of every Gemeinde the directory knows.

    AGS of Gemeinden that have since been merged are mapped to their successor; rows of
    other Länder (not in the directory) are skipped and counted.
    """
    units = {
        g.ags: g for g in Gebiet.objects.filter(level=Level.GEMEINDE).select_related("successor")
    }
    report = PlzReport()
    pairs: set[tuple[str, int, str]] = set()
    for row in rows:
        unit = units.get(row.ags)
        if unit is None:
            report.skipped_unknown_ags += 1
            continue
        if not unit.is_current:
            unit = unit.current_successor()
            report.via_successor += 1
        pairs.add((row.plz, unit.pk, row.ort))
    Postleitzahl.objects.filter(gemeinde__in=[u.pk for u in units.values()]).delete()
    Postleitzahl.objects.bulk_create(
        [Postleitzahl(plz=p, gemeinde_id=g, ort=o) for p, g, o in sorted(pairs)], batch_size=2000
    )
    report.pairs = len(pairs)
    report.plz = len({p for p, _, _ in pairs})
    report.gemeinden = len({g for _, g, _ in pairs})
    record_audit(
        action="gebiete.plz_imported",
        actor=actor,
        object_type="gebiete.postleitzahl",
        details=report.as_dict(),
    )
    return report


@dataclass
class BoundaryReport:
    matched: int = 0
    unmatched: list[str] = field(default_factory=list)


BOUNDARY_LEVEL_BY_KEY_LENGTH = {5: Level.KREIS, 9: Level.VERBAND, 12: Level.GEMEINDE}


@transaction.atomic
def import_boundaries(*, collection: dict[str, Any], actor: Actor, source: str) -> BoundaryReport:
    """Store the boundary of each unit of a GeoJSON FeatureCollection (by ARS/AGS)."""
    if collection.get("type") != "FeatureCollection" or not isinstance(
        collection.get("features"), list
    ):
        raise InvalidSourceFile(f"{source}: keine GeoJSON-FeatureCollection.", field="type")
    report = BoundaryReport()
    for index, feature in enumerate(collection["features"], start=1):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry")
        ars = str(props.get("ARS", ""))
        level = BOUNDARY_LEVEL_BY_KEY_LENGTH.get(len(ars))
        if level is None or not ars.isdigit() or not isinstance(geometry, dict):
            raise InvalidSourceFile(
                f"{source}: Objekt {index} hat keinen gültigen ARS oder keine Geometrie.",
                field="properties.ARS",
            )
        key = str(props.get("AGS")) if level == Level.GEMEINDE else ars
        updated = Gebiet.objects.filter(level=level, key=key).update(
            geometry=json.dumps(geometry, separators=(",", ":"))
        )
        if updated:
            report.matched += 1
        else:
            report.unmatched.append(f"{ars} {props.get('GEN', '')}".strip())
    record_audit(
        action="gebiete.boundaries_imported",
        actor=actor,
        object_type="gebiete.gebiet",
        source=source,
        matched=report.matched,
        unmatched=len(report.unmatched),
    )
    return report
