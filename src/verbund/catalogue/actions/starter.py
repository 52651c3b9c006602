"""The starter catalogue: the curated services and Lebenslagen a new installation begins with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.text import slugify

from verbund.catalogue import indexing
from verbund.catalogue.leika import (
    LEIKA_KEY,
)
from verbund.catalogue.models import (
    SERVICE_TEXT_FIELDS,
    Audience,
    Lebenslage,
    LebenslageService,
    Level,
    OzgLeistung,
    Service,
    Wirkungskreis,
)
from verbund.core.audit import Actor, record_audit
from verbund.core.errors import Conflict, InvalidInput

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
