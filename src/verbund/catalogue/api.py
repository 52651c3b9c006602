"""Public API of the service catalogue: search, services and life situations."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.params import P, PathEx, QueryEx

from verbund.catalogue import queries
from verbund.catalogue.models import Lebenslage, Service
from verbund.core.schemas import SLUG_PATTERN, Problem

router = Router(tags=["Leistungen"])


class ServiceHit(Schema):
    slug: str
    leika_key: str = Field(description="Leistungsschlüssel (14 Ziffern) oder leer")
    name: str
    level: str = Field(description="gemeinde, kreis, land, bund oder leer (nicht erfasst)")
    score: float = Field(description="Relevanz; höher ist besser")


class ServiceList(Schema):
    items: list[ServiceHit]


class LebenslageRef(Schema):
    slug: str
    title: str
    ozg_id: int | None


class OzgLeistungOut(Schema):
    ozg_id: int
    name: str
    lebenslage: str | None


class ServiceOut(Schema):
    slug: str
    leika_key: str
    name: str
    name_2: str = Field(description="Leistungsbezeichnung II")
    leika_name: str = Field(description="Bezeichnung im LeiKa")
    short_text: str
    full_text: str
    required_documents: list[str]
    prerequisites: str
    costs: str
    deadlines: str
    processing_time: str
    procedure: str
    notes: str
    legal_basis: str
    forms_url: str
    online_service_url: str
    audience: str = Field(description="Leistungsadressat: buerger, unternehmen, …")
    level: str
    wirkungskreis: str = Field(description="eigen, uebertragen oder leer")
    office: str
    typisierung: str
    is_curated: bool
    is_outdated: bool = Field(description="Schlüssel von 2019 in einem neu nummerierten Bereich")
    ozg_leistung: OzgLeistungOut | None
    lebenslagen: list[LebenslageRef]
    synonyms: list[str]
    everyday_terms: list[str]
    english_terms: list[str]


class ServiceRef(Schema):
    slug: str
    leika_key: str
    name: str
    level: str


class LebenslageOut(Schema):
    slug: str
    title: str
    name: str = Field(description="Bezeichnung der OZG-Lebenslage")
    ozg_id: int | None
    themenfeld: str | None
    description: str
    services: list[ServiceRef] = Field(description="in der Reihenfolge der Redaktion")


def service_out(service: Service) -> ServiceOut:
    ozg = service.ozg_leistung
    return ServiceOut(
        slug=service.slug,
        leika_key=service.leika_key,
        name=service.name,
        name_2=service.name_2,
        leika_name=service.leika_name,
        short_text=service.short_text,
        full_text=service.full_text,
        required_documents=service.required_document_list,
        prerequisites=service.prerequisites,
        costs=service.costs,
        deadlines=service.deadlines,
        processing_time=service.processing_time,
        procedure=service.procedure,
        notes=service.notes,
        legal_basis=service.legal_basis,
        forms_url=service.forms_url,
        online_service_url=service.online_service_url,
        audience=service.audience,
        level=service.level,
        wirkungskreis=service.wirkungskreis,
        office=service.office,
        typisierung=service.typisierung,
        is_curated=service.is_curated,
        is_outdated=service.is_outdated,
        ozg_leistung=OzgLeistungOut(
            ozg_id=ozg.ozg_id,
            name=ozg.name,
            lebenslage=ozg.lebenslage.name if ozg.lebenslage else None,
        )
        if ozg
        else None,
        lebenslagen=[
            LebenslageRef(slug=x.slug, title=x.display_title, ozg_id=x.ozg_id)
            for x in queries.lebenslagen_of(service)
        ],
        synonyms=service.synonym_list,
        everyday_terms=service.everyday_term_list,
        english_terms=service.english_term_list,
    )


def hit(service: Service, score: float) -> ServiceHit:
    return ServiceHit(
        slug=service.slug,
        leika_key=service.leika_key,
        name=service.name,
        level=service.level,
        score=score,
    )


@router.get(
    "/services",
    response={200: ServiceList, 422: Problem},
    summary="Leistungen in eigenen Worten suchen",
    description=(
        "Findet Leistungen aus Alltagssprache, Tippfehlern, zusammengesetzten Wörtern, "
        "Lebenslagen und Englisch. Beste Treffer zuerst; redaktionell gepflegte Leistungen "
        "stehen vor ihren LeiKa-Untervarianten."
    ),
)
def search_services(
    request: HttpRequest,
    q: QueryEx[str, P(min_length=1, max_length=queries.QUERY_MAX, description="Suchtext")],
    limit: QueryEx[int, P(ge=1, le=queries.LIMIT_MAX, description="Höchstzahl der Treffer")] = 10,
) -> ServiceList:
    results = queries.search_services(q, limit=limit)
    return ServiceList(items=[hit(r.service, r.score) for r in results])


@router.get(
    "/services/{slug}",
    response={200: ServiceOut, 404: Problem, 422: Problem},
    summary="Eine Leistung mit allen Texten",
)
def get_service(
    request: HttpRequest,
    slug: PathEx[str, P(max_length=80, pattern=SLUG_PATTERN, description="Kurzname")],
) -> ServiceOut:
    return service_out(queries.get_service(slug))


@router.get(
    "/lebenslagen",
    response={200: list[LebenslageOut]},
    summary="Lebenslagen mit ihren Leistungen",
)
def list_lebenslagen(request: HttpRequest) -> list[LebenslageOut]:
    return [lebenslage_out(x) for x in queries.lebenslagen_with_services()]


@router.get(
    "/lebenslagen/{slug}",
    response={200: LebenslageOut, 404: Problem, 422: Problem},
    summary="Eine Lebenslage mit ihren Leistungen",
)
def get_lebenslage(
    request: HttpRequest,
    slug: PathEx[str, P(max_length=120, pattern=SLUG_PATTERN, description="Kurzname")],
) -> LebenslageOut:
    return lebenslage_out(queries.get_lebenslage(slug))


def lebenslage_out(lebenslage: Lebenslage) -> LebenslageOut:
    return LebenslageOut(
        slug=lebenslage.slug,
        title=lebenslage.display_title,
        name=lebenslage.name,
        ozg_id=lebenslage.ozg_id,
        themenfeld=lebenslage.themenfeld.name if lebenslage.themenfeld else None,
        description=lebenslage.description,
        services=[
            ServiceRef(slug=s.slug, leika_key=s.leika_key, name=s.name, level=s.level)
            for s in queries.services_in(lebenslage)
        ],
    )
