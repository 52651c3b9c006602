"""Writes of the finder: Zuständigkeiten and the districts of district offices (each one
transaction, audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from verbund.authorities import queries as authority_queries
from verbund.authorities.actions import upsert_authority
from verbund.authorities.types import Authority, AuthorityKind
from verbund.catalogue import queries as catalogue_queries
from verbund.catalogue.actions import save_service
from verbund.catalogue.types import Service
from verbund.core.audit import Actor, record_audit, snapshot, stored_snapshot
from verbund.core.errors import InvalidSourceFile
from verbund.finder import xzufi
from verbund.finder.models import OfficeDistrict, OfficeKind, Zustaendigkeit
from verbund.gebiete import queries as gebiete_queries
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


# --- district offices ------------------------------------------------------------------------


@transaction.atomic
def upsert_office_kind(
    *,
    slug: str,
    land: Gebiet,
    name: str,
    plain_answer: str,
    services: list[Service],
    actor: Actor,
    parent: Authority | None = None,
    is_demo_data: bool = False,
) -> OfficeKind:
    """Create or update a kind of district office and the services its offices provide."""
    kind = OfficeKind.objects.select_for_update().filter(slug=slug).first()
    before = snapshot(kind, exclude=("services",)) if kind is not None else None
    before_services = sorted(kind.services.values_list("slug", flat=True)) if kind else []
    if kind is None:
        kind = OfficeKind(slug=slug)
    kind.land, kind.name, kind.plain_answer = land, name, plain_answer
    kind.parent, kind.is_demo_data = parent, is_demo_data
    kind.full_clean(exclude=["services"])
    kind.save()
    kind.services.set(services)
    after = snapshot(kind, exclude=("services",)) | {"services": sorted(s.slug for s in services)}
    if before is None or before | {"services": before_services} != after:
        record_audit(
            action="finder.office_kind_saved",
            actor=actor,
            obj=kind,
            before=(before | {"services": before_services}) if before else None,
            after=after,
        )
    return kind


@transaction.atomic
def upsert_district(
    *,
    kind: OfficeKind,
    office: Authority,
    gebiet: Gebiet,
    actor: Actor,
    valid_from: date | None = None,
    valid_until: date | None = None,
    note: str = "",
    is_demo_data: bool = False,
) -> tuple[OfficeDistrict, bool]:
    """Record that `office` provides the services of `kind` for `gebiet`; audited."""
    district = (
        OfficeDistrict.objects.select_for_update()
        .filter(kind=kind, office=office, gebiet=gebiet)
        .first()
    )
    fields = {
        "valid_from": valid_from,
        "valid_until": valid_until,
        "note": note,
        "is_demo_data": is_demo_data,
    }
    created = district is None
    if district is None:
        district = OfficeDistrict(kind=kind, office=office, gebiet=gebiet)
        before = None
    else:
        before = snapshot(district)
        if all(getattr(district, k) == v for k, v in fields.items()):
            return district, False
    for name, value in fields.items():
        setattr(district, name, value)
    district.full_clean()
    district.save()
    record_audit(
        action="finder.district_created" if created else "finder.district_updated",
        actor=actor,
        obj=district,
        before=before,
        after=snapshot(district),
    )
    return district, created


@transaction.atomic
def end_district(*, district: OfficeDistrict, valid_until: date, actor: Actor) -> OfficeDistrict:
    """The office stops serving the area after `valid_until` (kept for the record)."""
    before = snapshot(district)
    district.valid_until = valid_until
    district.full_clean()
    district.save(update_fields=["valid_until", "updated_at"])
    record_audit(
        action="finder.district_ended",
        actor=actor,
        obj=district,
        before=before,
        after=snapshot(district),
    )
    return district


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
    districts_created: int = 0


class _Areas:
    """Current areas by ARS, read once per import (a kreisfreie Stadt is Kreis and Gemeinde
    with one ARS: the `ebene` attribute decides, else the most specific level)."""

    def __init__(self) -> None:
        self.by_ars: dict[str, list[Gebiet]] = {}
        for unit in gebiete_queries.current_gebiete():
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
        s.slug: s
        for s in catalogue_queries.all_services().filter(
            slug__in=[r.slug for r in document.leistungen]
        )
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
    authorities = {a.slug: a for a in authority_queries.all_authorities()}
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
    """The Zuständigkeiten between the document's (or known) services and authorities; those
    of a kind of district office become its districts."""
    kinds = {
        service_id: kind
        for kind in OfficeKind.objects.prefetch_related("services")
        for service_id in kind.services.values_list("pk", flat=True)
    }
    districts_demo = {
        (d.kind_id, d.office_id, d.gebiet_id): d.is_demo_data for d in OfficeDistrict.objects.all()
    }
    for z in document.zustaendigkeiten:
        service = (
            services.get(z.leistung)
            or catalogue_queries.all_services().filter(slug=z.leistung).first()
        )
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
        area = areas.get(z.ars, z.ebene, z.line)
        kind = kinds.get(service.pk)
        if kind is not None and area.level != Level.LAND:
            # a district of an office: one row for all the kind's services
            try:
                _district, created = upsert_district(
                    kind=kind,
                    office=provider,
                    gebiet=area,
                    valid_from=z.valid_from,
                    valid_until=z.valid_until,
                    note=z.note,
                    is_demo_data=districts_demo.get((kind.pk, provider.pk, area.pk), False),
                    actor=actor,
                )
            except ValidationError as exc:
                raise _refuse(exc, z.line, "Amtsbezirk") from None
            report.districts_created += created
            continue
        try:
            _entry, created = upsert_zustaendigkeit(
                service=service,
                authority=provider,
                gebiet=area,
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
