"""Reads of the finder for pages and API (public data: no tenant checks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from verbund.catalogue import queries as catalogue_queries
from verbund.catalogue.types import Service
from verbund.core.errors import NotFound
from verbund.finder import cache, xzufi
from verbund.finder.models import OfficeDistrict, OfficeKind, Zustaendigkeit
from verbund.finder.resolution import Answer, Place

# The finder's answer for a service at a place; other domains call it from here.
from verbund.finder.resolution import resolve as resolve
from verbund.gebiete.types import Gebiet


def find(*, service_slug: str, place: Place) -> Answer:
    """The finder's answer for a service (by slug) at a place; NotFound / InvalidInput."""
    place.validate()
    service = cache.snapshot().services.get(service_slug)
    if service is None:  # also old links by LeiKa key
        service = catalogue_queries.get_service(service_slug)
    return resolve(service=service, place=place)


def zustaendigkeiten_of(service: Service) -> QuerySet[Zustaendigkeit]:
    return Zustaendigkeit.objects.filter(service=service).select_related("authority", "gebiet")


def all_zustaendigkeiten() -> QuerySet[Zustaendigkeit]:
    return Zustaendigkeit.objects.select_related("service", "authority", "gebiet").order_by(
        "service__slug", "gebiet__ars", "authority__slug"
    )


@dataclass(frozen=True)
class DistrictEntry:
    """A district as XZuFi exchanges it: one Zuständigkeit per service of the kind."""

    service: Service
    authority: Any
    gebiet: Gebiet
    note: str
    valid_from: date | None
    valid_until: date | None


def district_zustaendigkeiten() -> list[DistrictEntry]:
    """The districts of every district office, spread over the kind's services (XZuFi)."""
    entries: list[DistrictEntry] = []
    for kind in OfficeKind.objects.prefetch_related("services").order_by("slug"):
        services = sorted(kind.services.all(), key=lambda s: s.slug)
        for d in kind.districts.select_related("office", "gebiet").order_by(
            "gebiet__ars", "office__slug"
        ):
            entries.extend(
                DistrictEntry(s, d.office, d.gebiet, d.note, d.valid_from, d.valid_until)
                for s in services
            )
    return entries


def office_kinds(land: Gebiet) -> QuerySet[OfficeKind]:
    return (
        OfficeKind.objects.filter(land=land)
        .select_related("parent")
        .prefetch_related("services")
        .order_by("name")
    )


def get_office_kind_or_404(land: Gebiet, slug: str) -> OfficeKind:
    found = office_kinds(land).filter(slug=slug).first()
    if found is None:
        raise NotFound("Nicht gefunden.", code="not_found")
    return found


def districts_of(kind: OfficeKind) -> QuerySet[OfficeDistrict]:
    return kind.districts.select_related("office", "gebiet", "gebiet__kreis").order_by(
        "office__name", "gebiet__ars", "pk"
    )


def get_district_or_404(kind: OfficeKind, pk: int) -> OfficeDistrict:
    found = districts_of(kind).filter(pk=pk).first()
    if found is None:
        raise NotFound("Nicht gefunden.", code="not_found")
    return found


def districts_xzufi(kind: OfficeKind) -> bytes:
    """The kind's offices and districts as an XZuFi document (for `verbund import-xzufi`)."""
    services = sorted(kind.services.all(), key=lambda s: s.slug)
    districts = list(districts_of(kind))
    entries = [
        DistrictEntry(s, d.office, d.gebiet, d.note, d.valid_from, d.valid_until)
        for d in districts
        for s in services
    ]
    offices = sorted({d.office.pk: d.office for d in districts}.values(), key=lambda a: a.slug)
    return xzufi.serialize(
        services=[],
        authorities=offices,
        zustaendigkeiten=entries,
        created=timezone.now().replace(microsecond=0).isoformat(),
    )
