"""Writes of the finder: Zuständigkeiten (each one transaction, audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from verbund.authorities.actions import upsert_authority
from verbund.authorities.types import Authority, AuthorityKind
from verbund.catalogue.actions import save_service
from verbund.catalogue.types import Service
from verbund.core.audit import Actor, record_audit, snapshot, stored_snapshot
from verbund.core.errors import InvalidSourceFile
from verbund.finder import xzufi
from verbund.finder.models import Zustaendigkeit
from verbund.gebiete.types import Gebiet, Level


@transaction.atomic
def upsert_zustaendigkeit(
    *,
    service: Service,
    authority: Authority,
    gebiet: Gebiet,
    actor: Actor,
    note: str = "",
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> tuple[Zustaendigkeit, bool]:
    """Record that `authority` provides `service` for `gebiet`; audited when it changed."""
    entry = (
        Zustaendigkeit.objects.select_for_update()
        .filter(service=service, authority=authority, gebiet=gebiet)
        .first()
    )
    fields = {"note": note, "valid_from": valid_from, "valid_until": valid_until}
    if entry is None:
        entry = Zustaendigkeit(service=service, authority=authority, gebiet=gebiet, **fields)
        entry.full_clean()
        entry.save()
        record_audit(
            action="finder.zustaendigkeit_created", actor=actor, obj=entry, after=snapshot(entry)
        )
        return entry, True
    before = snapshot(entry)
    changed = [name for name, value in fields.items() if getattr(entry, name) != value]
    if changed:
        for name in changed:
            setattr(entry, name, fields[name])
        entry.full_clean()
        entry.save()
        record_audit(
            action="finder.zustaendigkeit_updated",
            actor=actor,
            obj=entry,
            before=before,
            after=snapshot(entry),
        )
    return entry, False


@transaction.atomic
def save_zustaendigkeit(*, entry: Zustaendigkeit, actor: Actor) -> Zustaendigkeit:
    """Store an editor's change (admin)."""
    before = stored_snapshot(entry)
    entry.full_clean()
    entry.save()
    record_audit(
        action="finder.zustaendigkeit_updated" if before else "finder.zustaendigkeit_created",
        actor=actor,
        obj=entry,
        before=before,
        after=snapshot(entry),
    )
    return entry


@transaction.atomic
def delete_zustaendigkeit(*, entry: Zustaendigkeit, actor: Actor) -> None:
    record_audit(
        action="finder.zustaendigkeit_deleted", actor=actor, obj=entry, before=snapshot(entry)
    )
    entry.delete()


# --- XZuFi import ---------------------------------------------------------------------------

LEVEL_ORDER = [Level.GEMEINDE, Level.VERBAND, Level.KREIS, Level.REGIERUNGSBEZIRK, Level.LAND]


@dataclass
class XzufiReport:
    services_created: int = 0
    services_updated: int = 0
    authorities_created: int = 0
    authorities_updated: int = 0
    zustaendigkeiten_created: int = 0
    zustaendigkeiten_updated: int = 0


class _Areas:
    """Current areas by ARS, read once per import (a kreisfreie Stadt is Kreis and Gemeinde
    with one ARS: the `ebene` attribute decides, else the most specific level)."""

    def __init__(self) -> None:
        self.by_ars: dict[str, list[Gebiet]] = {}
        for unit in Gebiet.objects.filter(valid_until__isnull=True):
            self.by_ars.setdefault(unit.ars, []).append(unit)
        for units in self.by_ars.values():
            units.sort(key=lambda u: LEVEL_ORDER.index(Level(u.level)))

    def get(self, ars: str, ebene: str, line: int) -> Gebiet:
        units = [u for u in self.by_ars.get(ars, []) if not ebene or u.level == ebene]
        if not units:
            raise InvalidSourceFile(
                f"Es gibt kein Gebiet mit dem Regionalschlüssel {ars}.", line=line
            )
        return units[0]


def _refuse(exc: ValidationError, line: int, what: str) -> InvalidSourceFile:
    messages = "; ".join(
        f"{name}: {' '.join(str(m) for m in errors)}" for name, errors in exc.message_dict.items()
    )
    return InvalidSourceFile(f"{what}: {messages}", line=line)


def _import_services(
    document: xzufi.Document, report: XzufiReport, actor: Actor
) -> dict[str, Service]:
    """The Leistungen of the document, created or changed through the catalogue's action."""
    services = {
        s.slug: s for s in Service.objects.filter(slug__in=[r.slug for r in document.leistungen])
    }
    for record in document.leistungen:
        service = services.get(record.slug)
        created = service is None
        if service is None:
            service = Service(slug=record.slug)
        changed = [k for k, v in record.fields.items() if getattr(service, k) != v]
        if not changed and not created:
            continue
        for name in changed:
            setattr(service, name, record.fields[name])
        try:
            save_service(service=service, actor=actor)
        except ValidationError as exc:
            raise _refuse(exc, record.line, f"Leistung {record.slug}") from None
        if created:
            report.services_created += 1
        else:
            report.services_updated += 1
    return services


def _import_authorities(
    document: xzufi.Document, areas: _Areas, report: XzufiReport, actor: Actor
) -> dict[str, Authority]:
    """The Organisationseinheiten, checked like the admin checks them, then upserted."""
    authorities = {a.slug: a for a in Authority.objects.all()}
    for oe in document.organisationseinheiten:
        if oe.fields["kind"] not in AuthorityKind.values:
            raise InvalidSourceFile(
                f"Organisationseinheit {oe.slug}: unbekannte Kategorie „{oe.fields['kind']}“.",
                line=oe.line,
            )
        gebiet = areas.get(oe.ars, oe.ebene, oe.line)
        existing = authorities.get(oe.slug)
        if (
            existing is not None
            and existing.gebiet_id == gebiet.pk
            and all(getattr(existing, k) == v for k, v in oe.fields.items())
        ):
            continue
        candidate = Authority(slug=oe.slug, gebiet=gebiet, **oe.fields)
        try:
            candidate.full_clean(exclude=["slug", "gebiet"], validate_unique=False)
        except ValidationError as exc:
            raise _refuse(exc, oe.line, f"Organisationseinheit {oe.slug}") from None
        authority, created = upsert_authority(slug=oe.slug, actor=actor, gebiet=gebiet, **oe.fields)
        authorities[authority.slug] = authority
        if created:
            report.authorities_created += 1
        else:
            report.authorities_updated += 1
    return authorities


def _import_zustaendigkeiten(
    document: xzufi.Document,
    services: dict[str, Service],
    authorities: dict[str, Authority],
    areas: _Areas,
    report: XzufiReport,
    actor: Actor,
) -> None:
    """The Zuständigkeiten between the document's (or known) services and authorities."""
    for z in document.zustaendigkeiten:
        service = services.get(z.leistung) or Service.objects.filter(slug=z.leistung).first()
        if service is None:
            raise InvalidSourceFile(
                f"Zuständigkeit: unbekannte Leistung „{z.leistung}“.", line=z.line
            )
        provider = authorities.get(z.organisationseinheit)
        if provider is None:
            raise InvalidSourceFile(
                f"Zuständigkeit: unbekannte Organisationseinheit „{z.organisationseinheit}“.",
                line=z.line,
            )
        try:
            _entry, created = upsert_zustaendigkeit(
                service=service,
                authority=provider,
                gebiet=areas.get(z.ars, z.ebene, z.line),
                note=z.note,
                valid_from=z.valid_from,
                valid_until=z.valid_until,
                actor=actor,
            )
        except ValidationError as exc:
            raise _refuse(exc, z.line, "Zuständigkeit") from None
        if created:
            report.zustaendigkeiten_created += 1
        else:
            report.zustaendigkeiten_updated += 1


@transaction.atomic
def import_xzufi(*, document: xzufi.Document, actor: Actor) -> XzufiReport:
    """Write an XZuFi document through the catalogue, authority and finder actions, in one
    transaction: any invalid record rolls back everything. Changed services get fresh
    search entries (`catalogue.actions.save_service`)."""
    report = XzufiReport()
    areas = _Areas()
    services = _import_services(document, report, actor)
    authorities = _import_authorities(document, areas, report, actor)
    _import_zustaendigkeiten(document, services, authorities, areas, report, actor)
    return report
