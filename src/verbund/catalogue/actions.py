"""Writes to the catalogue: imports of the LeiKa and the OZG structure, the curated starter
catalogue, editorial changes and authority texts. Each is one transaction with its audit row;
each keeps the search index in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.text import slugify

from verbund.authorities.types import Authority
from verbund.catalogue import indexing
from verbund.catalogue.leika import (
    LEIKA_KEY,
    LebenslageRow,
    LeikaRow,
    OzgLeistungRow,
    ZuordnungRow,
    merge_leika_rows,
)
from verbund.catalogue.models import (
    OVERRIDABLE_FIELDS,
    SERVICE_TEXT_FIELDS,
    Audience,
    AuthorityServiceText,
    Lebenslage,
    LebenslageService,
    Level,
    OzgLeistung,
    Service,
    Themenfeld,
    Wirkungskreis,
)
from verbund.core.audit import Actor, record_audit, snapshot, stored_snapshot
from verbund.core.errors import Conflict, InvalidInput, InvalidSourceFile

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


# -- the curated starter catalogue ---------------------------------------------------

STARTER_TEXT_FIELDS = ("name_2", *SERVICE_TEXT_FIELDS, "office")
STARTER_LIST_FIELDS = ("synonyms", "everyday_terms", "english_terms")
# Fields that hold one item a line; every other text is prose, hard-wrapped in the file.
STARTER_LINE_FIELDS = ("required_documents",)


def unwrap(text: str) -> str:
    """Join hard-wrapped lines into paragraphs (a blank line starts a new one)."""
    paragraphs = [" ".join(block.split()) for block in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


@dataclass
class StarterReport:
    services: int = 0
    created: int = 0
    updated: int = 0
    lebenslagen: int = 0
    links: int = 0
    without_key: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _starter_values(entry: Mapping[str, Any], index: int) -> dict[str, Any]:
    slug = str(entry.get("slug", ""))
    where = f"Leistung Nr. {index} ({slug or 'ohne Kurznamen'})"
    if not slug or slugify(slug) != slug:
        raise InvalidInput(f"{where}: ungültiger Kurzname.", code="invalid_starter_entry")
    if not entry.get("name"):
        raise InvalidInput(f"{where}: die Bezeichnung fehlt.", code="invalid_starter_entry")
    level = entry.get("level", "")
    if level not in Level.values:
        raise InvalidInput(f"{where}: unbekannte Ebene „{level}“.", code="invalid_starter_entry")
    wirkungskreis = entry.get("wirkungskreis", "")
    if wirkungskreis and wirkungskreis not in Wirkungskreis.values:
        raise InvalidInput(
            f"{where}: unbekannter Wirkungskreis „{wirkungskreis}“.", code="invalid_starter_entry"
        )
    audience = entry.get("audience", "")
    if audience and audience not in Audience.values:
        raise InvalidInput(
            f"{where}: unbekannter Leistungsadressat „{audience}“.", code="invalid_starter_entry"
        )
    key = str(entry.get("leika_key", ""))
    if key and not LEIKA_KEY.fullmatch(key):
        raise InvalidInput(f"{where}: ungültiger Leistungsschlüssel.", code="invalid_starter_entry")
    values: dict[str, Any] = {
        "name": str(entry["name"]).strip(),
        "leika_key": key,
        "level": level,
        "wirkungskreis": wirkungskreis,
        "audience": audience,
        "search_boost": float(entry.get("search_boost", 1.0)),
        "is_curated": True,
    }
    for name in STARTER_TEXT_FIELDS:
        if name not in entry:
            continue  # fields the entry does not name keep what the imports put there
        value = entry[name]
        if isinstance(value, list):
            value = "\n".join(str(v).strip() for v in value)
        elif name not in STARTER_LINE_FIELDS:
            value = unwrap(str(value))
        values[name] = str(value).strip()
    for name in STARTER_LIST_FIELDS:
        items = entry.get(name, [])
        if not isinstance(items, list):
            raise InvalidInput(
                f"{where}: „{name}“ muss eine Liste sein.", code="invalid_starter_entry"
            )
        values[name] = "\n".join(str(v).strip() for v in items if str(v).strip())
    return values


@transaction.atomic
def load_starter_catalogue(
    *,
    services: Sequence[Mapping[str, Any]],
    lebenslagen: Sequence[Mapping[str, Any]],
    actor: Actor,
    reindex: bool = True,
) -> StarterReport:
    """Upsert the curated services and the editorial life situations.

    A curated service takes over the base-catalogue row of its LeiKa key, so that each key
    is one service; its texts, synonyms and responsibility facts come from the entry.
    """
    report = StarterReport(services=len(services))
    ozg = {o.ozg_id: o for o in OzgLeistung.objects.all()}
    for index, entry in enumerate(services, start=1):
        values = _starter_values(entry, index)
        slug = str(entry["slug"])
        key = values["leika_key"]
        if not key:
            report.without_key.append(slug)
        service = Service.objects.filter(slug=slug).first()
        holder = Service.objects.filter(leika_key=key).first() if key else None
        if service is None and holder is not None and not holder.is_curated:
            service, holder = holder, None
        if holder is not None and service is not None and holder.pk != service.pk:
            _absorb(service=service, other=holder)
        elif holder is not None and service is None:
            raise Conflict(
                f"Der Leistungsschlüssel {key} gehört schon zu „{holder.slug}“.",
                code="leika_key_taken",
            )
        ozg_id = entry.get("ozg_id")
        if ozg_id is not None and ozg_id in ozg:
            values["ozg_leistung"] = ozg[ozg_id]
        if service is None:
            Service.objects.create(slug=slug, **values)
            report.created += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(service, k) != v}
        if service.slug != slug:
            changed["slug"] = slug
        if changed:
            for attr, value in changed.items():
                setattr(service, attr, value)
            service.save()
            report.updated += 1
    by_slug = {s.slug: s for s in Service.objects.filter(is_curated=True)}
    for position, entry in enumerate(lebenslagen):
        lebenslage = _upsert_lebenslage(entry, position)
        wanted = list(entry.get("services", []))
        unknown = [s for s in wanted if s not in by_slug]
        if unknown:
            raise InvalidInput(
                f"Lebenslage {lebenslage.slug}: unbekannte Leistung(en) {', '.join(unknown)}.",
                code="invalid_starter_entry",
            )
        current = list(
            LebenslageService.objects.filter(lebenslage=lebenslage)
            .order_by("position")
            .values_list("service__slug", flat=True)
        )
        if current != wanted:
            LebenslageService.objects.filter(lebenslage=lebenslage).delete()
            LebenslageService.objects.bulk_create(
                LebenslageService(lebenslage=lebenslage, service=by_slug[s], position=i)
                for i, s in enumerate(wanted)
            )
        report.links += len(wanted)
    report.lebenslagen = len(lebenslagen)
    if reindex:
        indexing.rebuild_index()
    record_audit(
        action="catalogue.starter_loaded",
        actor=actor,
        object_type="catalogue.service",
        details=report.as_dict(),
    )
    return report


def _absorb(*, service: Service, other: Service) -> None:
    """The curated `service` takes the key of the base row `other`, which then goes."""
    if other.is_curated:
        raise Conflict(
            f"Der Leistungsschlüssel {other.leika_key} gehört schon zu „{other.slug}“.",
            code="leika_key_taken",
        )
    service.leika_name = other.leika_name or other.name
    service.ozg_leistung = service.ozg_leistung or other.ozg_leistung
    service.typisierung = service.typisierung or other.typisierung
    service.is_outdated = other.is_outdated
    if not service.legal_basis:
        service.legal_basis = other.legal_basis
    try:
        other.delete()
    except ProtectedError:
        raise Conflict(
            f"Die Leistung {other.leika_key} wird noch verwendet und kann nicht in "
            f"„{service.slug}“ aufgehen.",
            code="leika_key_in_use",
        ) from None


def _upsert_lebenslage(entry: Mapping[str, Any], position: int) -> Lebenslage:
    slug = str(entry.get("slug", ""))
    if not slug or slugify(slug) != slug:
        raise InvalidInput(
            f"Lebenslage Nr. {position + 1}: ungültiger Kurzname.", code="invalid_starter_entry"
        )
    title = str(entry.get("title", "")).strip()
    if not title:
        raise InvalidInput(f"Lebenslage {slug}: der Titel fehlt.", code="invalid_starter_entry")
    ozg_id = entry.get("ozg_id")
    lebenslage = Lebenslage.objects.filter(slug=slug).first()
    if lebenslage is None and ozg_id is not None:
        lebenslage = Lebenslage.objects.filter(ozg_id=ozg_id).first()
    values = {
        "slug": slug,
        "title": title,
        "description": str(entry.get("description", "")).strip(),
        "terms": "\n".join(str(t).strip() for t in entry.get("terms", [])),
        "is_featured": bool(entry.get("featured", False)),
        "position": position,
    }
    if lebenslage is None:
        return Lebenslage.objects.create(name=title, ozg_id=ozg_id, **values)
    if ozg_id is not None and lebenslage.ozg_id is None:
        values["ozg_id"] = ozg_id
    changed = {k: v for k, v in values.items() if getattr(lebenslage, k) != v}
    if changed:
        for attr, value in changed.items():
            setattr(lebenslage, attr, value)
        lebenslage.save()
    return lebenslage


# -- editorial changes and authority texts ------------------------------------------------


@transaction.atomic
def save_service(*, service: Service, actor: Actor) -> Service:
    """Store an editor's change to a service and refresh its search entry."""
    before = stored_snapshot(service)
    service.full_clean()
    service.save()
    indexing.reindex_services([service.pk])
    record_audit(
        action="catalogue.service_saved" if before else "catalogue.service_created",
        actor=actor,
        obj=service,
        before=before,
        after=snapshot(service),
    )
    return service


@transaction.atomic
def save_lebenslage(*, lebenslage: Lebenslage, actor: Actor) -> Lebenslage:
    before = stored_snapshot(lebenslage, exclude=("services",))
    lebenslage.save()
    indexing.reindex_services(lebenslage.links.values_list("service_id", flat=True))
    record_audit(
        action="catalogue.lebenslage_saved",
        actor=actor,
        obj=lebenslage,
        before=before,
        after=snapshot(lebenslage, exclude=("services",)),
    )
    return lebenslage


@transaction.atomic
def relink_lebenslage(*, lebenslage: Lebenslage, actor: Actor) -> None:
    """After an editor changed which services belong to a life situation (and in which
    order), refresh the search entries of the whole catalogue that links to it."""
    indexing.rebuild_index()
    record_audit(
        action="catalogue.lebenslage_relinked",
        actor=actor,
        obj=lebenslage,
        services=list(
            lebenslage.links.order_by("position").values_list("service__slug", flat=True)
        ),
    )


@transaction.atomic
def save_authority_text(*, text: AuthorityServiceText, actor: Actor) -> AuthorityServiceText:
    """Store an authority's own text for a service (it replaces the Land's text for the
    authority's area, field by field)."""
    before = stored_snapshot(text)
    text.full_clean()
    text.save()
    record_audit(
        action="catalogue.authority_text_saved",
        actor=actor,
        obj=text,
        before=before,
        after=snapshot(text),
        fields=[f for f in OVERRIDABLE_FIELDS if getattr(text, f)],
    )
    return text


@transaction.atomic
def delete_authority_text(*, text: AuthorityServiceText, actor: Actor) -> None:
    before = snapshot(text)
    record_audit(action="catalogue.authority_text_deleted", actor=actor, obj=text, before=before)
    text.delete()


@transaction.atomic
def rebuild_search_index(*, actor: Actor) -> dict[str, int]:
    counts = indexing.rebuild_index()
    record_audit(
        action="catalogue.search_index_rebuilt",
        actor=actor,
        object_type="catalogue.searchentry",
        details=counts,
    )
    return counts


@transaction.atomic
def set_text_field(
    *, service: Service, authority: Authority | None, field_name: str, value: str, actor: Actor
) -> None:
    """Publish one reviewed text field: the Land's base text (`authority` None) or the
    authority's own text for its area (an empty value falls back to the Land's)."""
    if field_name not in OVERRIDABLE_FIELDS:
        raise ValueError(field_name)
    if authority is None:
        setattr(service, field_name, value)
        save_service(service=service, actor=actor)
        return
    text = AuthorityServiceText.objects.filter(service=service, authority=authority).first()
    if text is None:
        text = AuthorityServiceText(service=service, authority=authority)
    setattr(text, field_name, value)
    save_authority_text(text=text, actor=actor)
