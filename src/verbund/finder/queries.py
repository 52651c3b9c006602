"""Reads of the finder for pages and API (public data: no tenant checks)."""

from __future__ import annotations

from django.db.models import QuerySet

from verbund.catalogue import queries as catalogue_queries
from verbund.catalogue.types import Service
from verbund.finder import cache
from verbund.finder.models import Zustaendigkeit
from verbund.finder.resolution import Answer, Place

# The finder's answer for a service at a place; other domains call it from here.
from verbund.finder.resolution import resolve as resolve


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
