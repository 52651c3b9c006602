"""Imports of the official catalogues: LeiKa keys and the OZG structure (Lebenslagen, mapping)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from verbund.catalogue import indexing
from verbund.catalogue.leika import (
    LebenslageRow,
    LeikaRow,
    OzgLeistungRow,
    ZuordnungRow,
    merge_leika_rows,
)
from verbund.catalogue.models import (
    Lebenslage,
    OzgLeistung,
    Service,
    Themenfeld,
)
from verbund.core.audit import Actor, record_audit
from verbund.core.errors import InvalidSourceFile

LEIKA_FIELDS = ["name", "name_2", "leika_name", "synonyms", "is_outdated"]


@dataclass
class LeikaReport:
    rows: int = 0
    keys: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    outdated: int = 0
    curated: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@transaction.atomic
def import_leika(*, rows: Iterable[LeikaRow], actor: Actor, reindex: bool = True) -> LeikaReport:
    """Upsert the LeiKa base catalogue: one service per key, named as the LeiKa names it.

    Curated services keep their editorial names and texts; they only learn the LeiKa name.
    Keys of 2019 in areas renumbered since are kept and marked outdated.
    """
    report = LeikaReport()
    counted: list[LeikaRow] = []
    for row in rows:
        counted.append(row)
    report.rows = len(counted)
    entries = merge_leika_rows(counted)
    if not entries:
        raise InvalidSourceFile("Die Datei enthält keine Leistungen.")
    report.keys = len(entries)
    existing = {s.leika_key: s for s in Service.objects.exclude(leika_key="")}
    to_create: list[Service] = []
    to_update: list[Service] = []
    for entry in entries:
        synonyms = "\n".join(n for n in entry.other_names if n != entry.name_2)
        service = existing.get(entry.key)
        report.outdated += entry.is_outdated
        if service is None:
            to_create.append(
                Service(
                    slug=entry.key,
                    leika_key=entry.key,
                    name=entry.name,
                    name_2=entry.name_2,
                    leika_name=entry.name,
                    synonyms=synonyms,
                    is_outdated=entry.is_outdated,
                )
            )
            continue
        if service.is_curated:
            report.curated += 1
            values: dict[str, Any] = {"leika_name": entry.name, "is_outdated": entry.is_outdated}
        else:
            values = {
                "name": entry.name,
                "name_2": entry.name_2,
                "leika_name": entry.name,
                "synonyms": synonyms,
                "is_outdated": entry.is_outdated,
            }
        if all(getattr(service, k) == v for k, v in values.items()):
            report.unchanged += 1
            continue
        for attr, value in values.items():
            setattr(service, attr, value)
        to_update.append(service)
    Service.objects.bulk_create(to_create, batch_size=1000)
    Service.objects.bulk_update(to_update, [*LEIKA_FIELDS, "updated_at"], batch_size=500)
    report.created = len(to_create)
    report.updated = len(to_update)
    if reindex:
        indexing.rebuild_index()
    record_audit(
        action="catalogue.leika_imported",
        actor=actor,
        object_type="catalogue.service",
        details=report.as_dict(),
    )
    return report


@dataclass
class OzgReport:
    themenfelder: int = 0
    lebenslagen: int = 0
    ozg_leistungen: int = 0
    mapped: int = 0
    unlinked: int = 0
    services_created: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@transaction.atomic
def import_ozg(
    *,
    lebenslagen: Iterable[LebenslageRow],
    leistungen: Iterable[OzgLeistungRow],
    zuordnung: Iterable[ZuordnungRow],
    actor: Actor,
    reindex: bool = True,
) -> OzgReport:
    """Upsert the OZG structure: Themenfelder, Lebenslagen, OZG-Leistungen and the mapping
    of LeiKa keys to OZG-Leistungen with Typisierung and legal basis.

    Editorial fields (titles, everyday terms, curated legal texts) stay as the editors left
    them. LeiKa keys not yet in the catalogue join it under the mapping's name.
    """
    report = OzgReport()
    by_ozg = _import_lebenslagen(lebenslagen, report)
    existing_ozg = _import_ozg_leistungen(leistungen, by_ozg, report)
    _import_mapping(zuordnung, existing_ozg, report)
    if reindex:
        indexing.rebuild_index()
    record_audit(
        action="catalogue.ozg_imported",
        actor=actor,
        object_type="catalogue.ozgleistung",
        details=report.as_dict(),
    )
    return report


def _import_lebenslagen(
    lebenslagen: Iterable[LebenslageRow], report: OzgReport
) -> dict[int, Lebenslage]:
    """Themenfelder and Lebenslagen upserted; the Lebenslagen by OZG id."""
    themen: dict[str, Themenfeld] = {t.name: t for t in Themenfeld.objects.all()}
    by_ozg: dict[int, Lebenslage] = {
        x.ozg_id: x for x in Lebenslage.objects.exclude(ozg_id=None) if x.ozg_id is not None
    }
    slugs = set(Lebenslage.objects.values_list("slug", flat=True))
    seen: set[int] = set()
    for row in lebenslagen:
        if row.ozg_id in seen:
            raise InvalidSourceFile(
                f"Die Lebenslage {row.ozg_id} kommt doppelt vor.",
                line=row.line,
                field="lebenslage_id",
            )
        seen.add(row.ozg_id)
        theme_name = " ".join(row.themenfeld.split())
        theme = themen.get(theme_name)
        if theme is None:
            theme = Themenfeld.objects.create(name=theme_name, slug=_free_slug(theme_name, set()))
            themen[theme_name] = theme
        lebenslage = by_ozg.get(row.ozg_id)
        if lebenslage is None:
            slug = _free_slug(row.name, slugs)
            slugs.add(slug)
            by_ozg[row.ozg_id] = Lebenslage.objects.create(
                ozg_id=row.ozg_id, name=row.name, themenfeld=theme, slug=slug
            )
        elif lebenslage.name != row.name or lebenslage.themenfeld_id != theme.pk:
            lebenslage.name = row.name
            lebenslage.themenfeld = theme
            lebenslage.save(update_fields=["name", "themenfeld", "updated_at"])
    report.lebenslagen = len(seen)
    report.themenfelder = len({x.themenfeld_id for x in by_ozg.values() if x.ozg_id in seen})

    return by_ozg


def _import_ozg_leistungen(
    leistungen: Iterable[OzgLeistungRow], by_ozg: dict[int, Lebenslage], report: OzgReport
) -> dict[int, OzgLeistung]:
    """OZG-Leistungen upserted under their Lebenslage; all of them by OZG id."""
    existing_ozg = {o.ozg_id: o for o in OzgLeistung.objects.all()}
    ozg_seen: set[int] = set()
    for leistung in leistungen:
        if leistung.ozg_id in ozg_seen:
            raise InvalidSourceFile(
                f"Die OZG-Leistung {leistung.ozg_id} kommt doppelt vor.",
                line=leistung.line,
                field="ozg_id",
            )
        ozg_seen.add(leistung.ozg_id)
        parent = by_ozg.get(leistung.lebenslage_id)
        if parent is None:
            raise InvalidSourceFile(
                f"Die Lebenslage {leistung.lebenslage_id} ist unbekannt.",
                line=leistung.line,
                field="lebenslage_id",
            )
        current = existing_ozg.get(leistung.ozg_id)
        if current is None:
            existing_ozg[leistung.ozg_id] = OzgLeistung.objects.create(
                ozg_id=leistung.ozg_id, name=leistung.name, lebenslage=parent
            )
        elif current.name != leistung.name or current.lebenslage_id != parent.pk:
            current.name = leistung.name
            current.lebenslage = parent
            current.save(update_fields=["name", "lebenslage"])
    report.ozg_leistungen = len(ozg_seen)

    return existing_ozg


def _import_mapping(
    zuordnung: Iterable[ZuordnungRow], existing_ozg: dict[int, OzgLeistung], report: OzgReport
) -> None:
    """LeiKa keys mapped to OZG-Leistungen with Typisierung and legal basis; keys not yet in
    the catalogue join it under the mapping's name."""
    services = {s.leika_key: s for s in Service.objects.exclude(leika_key="")}
    to_create: list[Service] = []
    to_update: list[Service] = []
    keys_seen: set[str] = set()
    for mapping in zuordnung:
        if mapping.key in keys_seen:
            raise InvalidSourceFile(
                f"Der Leistungsschlüssel {mapping.key} ist doppelt zugeordnet.",
                line=mapping.line,
                field="leika_key",
            )
        keys_seen.add(mapping.key)
        target = None
        if mapping.ozg_id is not None:
            target = existing_ozg.get(mapping.ozg_id)
            if target is None:
                raise InvalidSourceFile(
                    f"Die OZG-Leistung {mapping.ozg_id} ist unbekannt.",
                    line=mapping.line,
                    field="ozg_id",
                )
        else:
            report.unlinked += 1
        service = services.get(mapping.key)
        if service is None:
            to_create.append(
                Service(
                    slug=mapping.key,
                    leika_key=mapping.key,
                    name=mapping.name,
                    leika_name=mapping.name,
                    ozg_leistung=target,
                    typisierung=mapping.typisierung,
                    legal_basis=mapping.legal_basis,
                )
            )
            continue
        legal_basis = service.legal_basis
        if not service.is_curated or not legal_basis:
            legal_basis = mapping.legal_basis
        values = {
            "ozg_leistung_id": target.pk if target else None,
            "typisierung": mapping.typisierung,
            "legal_basis": legal_basis,
        }
        if all(getattr(service, k) == v for k, v in values.items()):
            continue
        for attr, value in values.items():
            setattr(service, attr, value)
        to_update.append(service)
    Service.objects.bulk_create(to_create, batch_size=1000)
    Service.objects.bulk_update(
        to_update, ["ozg_leistung", "typisierung", "legal_basis", "updated_at"], batch_size=500
    )
    report.mapped = len(keys_seen)
    report.services_created = len(to_create)


def _free_slug(text: str, taken: set[str]) -> str:
    base = slugify(text.replace("&", " und "))[:100] or "lebenslage"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug
