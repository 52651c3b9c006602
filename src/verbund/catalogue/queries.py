"""Reads of the catalogue: services, life situations, search, effective texts, and the
access helpers for authority texts (tenant data)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, PermissionsMixin
from django.db.models import Prefetch, Q, QuerySet

from verbund.authorities import queries as authority_queries
from verbund.authorities.types import Authority
from verbund.catalogue import search, translations
from verbund.catalogue.models import (
    OVERRIDABLE_FIELDS,
    SERVICE_TEXT_FIELDS,
    AuthorityServiceText,
    Lebenslage,
    LebenslageService,
    SearchIndexState,
    Service,
)
from verbund.core.errors import InvalidInput, NotFound

QUERY_MAX = 200
LIMIT_MAX = 50


def services() -> QuerySet[Service]:
    return Service.objects.select_related("ozg_leistung__lebenslage__themenfeld")


def all_services() -> QuerySet[Service]:
    """Every service without joins, for bulk reads that pick their own columns."""
    return Service.objects.all()


def get_service(slug: str) -> Service:
    """A service by its slug (or, for old links, by its 14-digit LeiKa key)."""
    service = services().filter(slug=slug).first()
    if service is None and slug.isdigit() and len(slug) == 14:
        service = services().filter(leika_key=slug).first()
    if service is None:
        raise NotFound(f"Es gibt keine Leistung „{slug}“.", code="unknown_service")
    return service


def curated_services() -> QuerySet[Service]:
    return services().filter(is_curated=True).order_by("name")


def lebenslagen_of(service: Service) -> list[Lebenslage]:
    return [link.lebenslage for link in service.lebenslage_links.select_related("lebenslage")]


def variants_of(service: Service, *, limit: int = 30) -> list[Service]:
    """The other LeiKa services of the same OZG-Leistung (or, without one, of the same
    Leistungsobjekt): the sub-variants grouped under it."""
    if service.ozg_leistung_id:
        scope = Q(ozg_leistung_id=service.ozg_leistung_id)
    elif service.leika_key:
        scope = Q(leika_key__startswith=service.leistungsobjekt)
    else:
        return []
    return list(
        Service.objects.filter(scope)
        .exclude(pk=service.pk)
        .order_by("-is_curated", "is_outdated", "leika_key")[:limit]
    )


def featured_lebenslagen() -> list[Lebenslage]:
    return list(
        Lebenslage.objects.filter(is_featured=True)
        .prefetch_related(
            Prefetch(
                "links",
                queryset=LebenslageService.objects.select_related("service").order_by("position"),
            )
        )
        .order_by("position", "name")
    )


def lebenslagen_with_services() -> QuerySet[Lebenslage]:
    return Lebenslage.objects.filter(links__isnull=False).distinct().order_by("position", "name")


def get_lebenslage(slug: str) -> Lebenslage:
    lebenslage = Lebenslage.objects.select_related("themenfeld").filter(slug=slug).first()
    if lebenslage is None:
        raise NotFound(f"Es gibt keine Lebenslage „{slug}“.", code="unknown_lebenslage")
    return lebenslage


def services_in(lebenslage: Lebenslage) -> list[Service]:
    return [
        link.service
        for link in lebenslage.links.select_related("service").order_by("position", "service__name")
    ]


# -- search ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    service: Service
    score: float
    # the service's name in the query's language, where the query is in another language
    # and the service has a name in it (`catalogue.translations`)
    translation: str = ""


def search_services(q: str, limit: int = 10) -> list[SearchResult]:
    """The services that best answer a citizen's words, best first (see `catalogue.search`)."""
    if len(q) > QUERY_MAX:
        raise InvalidInput(
            f"Die Suchanfrage ist länger als {QUERY_MAX} Zeichen.", code="query_too_long"
        )
    if not 1 <= limit <= LIMIT_MAX:
        raise InvalidInput(f"Es sind 1 bis {LIMIT_MAX} Treffer möglich.", code="invalid_limit")
    hits = search.search(q, limit=limit)
    by_pk = Service.objects.in_bulk([h.service_id for h in hits])
    return [
        SearchResult(service=by_pk[h.service_id], score=round(h.score, 4))
        for h in hits
        if h.service_id in by_pk
    ]


@dataclass(frozen=True)
class SearchPage:
    """One page of the result page: only the results above the relevance floor."""

    results: list[SearchResult]
    page: int
    total: int
    has_next: bool
    suggestion: str
    per_page: int = 10
    # the query's language when it is another than German ("" otherwise), see translations
    language: str = ""

    @property
    def start(self) -> int:
        """The number of the first result of this page (for the list's numbering)."""
        return (self.page - 1) * self.per_page + 1


def search_page(q: str, page: int = 1, per_page: int = 10, *, reader: str = "") -> SearchPage:
    """The `page`-th page of the results that answer `q`, and a corrected query when the
    search corrected a typo. The results carry their names in the query's language, or
    else in the `reader`'s (the page's language: English when chosen) when it is another
    than German."""
    if len(q) > QUERY_MAX:
        raise InvalidInput(
            f"Die Suchanfrage ist länger als {QUERY_MAX} Zeichen.", code="query_too_long"
        )
    if page < 1 or (page - 1) * per_page >= LIMIT_MAX:
        raise InvalidInput("Diese Seite gibt es nicht.", code="invalid_page")
    hits = search.above_floor(search.search(q, limit=LIMIT_MAX))
    start = (page - 1) * per_page
    chunk = hits[start : start + per_page]
    by_pk = Service.objects.in_bulk([h.service_id for h in chunk])
    lang = translations.query_language(q) or (reader if reader in translations.LANGUAGES else "")
    return SearchPage(
        results=[
            SearchResult(
                service=by_pk[h.service_id],
                score=round(h.score, 4),
                translation=translations.name_in(by_pk[h.service_id].slug, lang),
            )
            for h in chunk
            if h.service_id in by_pk
        ],
        page=page,
        total=len(hits),
        has_next=start + per_page < len(hits),
        suggestion=search.suggestion(q) if q.strip() else "",
        per_page=per_page,
        language=lang,
    )


# -- effective texts: the Land's text, replaced field by field by the authority's own ------


@dataclass(frozen=True)
class ServiceTexts:
    """The texts citizens read for a service at one authority: the same text attributes as
    `Service`; `overridden` names the fields the authority replaced."""

    service: Service
    authority: Authority | None
    name: str
    name_2: str
    short_text: str
    full_text: str
    required_documents: str
    prerequisites: str
    costs: str
    deadlines: str
    processing_time: str
    procedure: str
    notes: str
    legal_basis: str
    rechtsbehelfsbelehrung: str
    forms_url: str
    online_service_url: str
    overridden: frozenset[str] = field(default_factory=frozenset)

    @property
    def required_document_list(self) -> list[str]:
        return [line.strip() for line in self.required_documents.splitlines() if line.strip()]


def texts_for(service: Service, authority: Authority | None) -> ServiceTexts:
    """The effective texts of `service` for the area of `authority`: each field the
    authority filled in replaces the Land's text; empty fields keep it."""
    values = {name: getattr(service, name) for name in ("name", "name_2", *SERVICE_TEXT_FIELDS)}
    overridden: set[str] = set()
    if authority is not None:
        own = AuthorityServiceText.objects.filter(service=service, authority=authority).first()
        if own is not None:
            for name in OVERRIDABLE_FIELDS:
                value = getattr(own, name)
                if value and value.strip():
                    values[name] = value
                    overridden.add(name)
    return ServiceTexts(
        service=service, authority=authority, overridden=frozenset(overridden), **values
    )


# -- access helpers for authority texts (tenant data) ---------------------------------------


def is_land_editor(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Land editors maintain the catalogue for every authority."""
    if not user.is_authenticated or not isinstance(user, PermissionsMixin):
        return False
    return user.has_perm("catalogue.change_service")


def authority_texts_for_staff(
    user: AbstractBaseUser | AnonymousUser,
) -> QuerySet[AuthorityServiceText]:
    """The authority texts a user may see: all for Land editors, else only those of the
    authorities the user is staff of."""
    queryset = AuthorityServiceText.objects.select_related("service", "authority")
    if is_land_editor(user):
        return queryset
    return queryset.filter(authority__in=authority_queries.authorities_of_staff(user))


def editable_authorities(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Authority]:
    if is_land_editor(user):
        return authority_queries.all_authorities()
    return authority_queries.authorities_of_staff(user)


def get_authority_text_for_staff_or_404(
    user: AbstractBaseUser | AnonymousUser, pk: int
) -> AuthorityServiceText:
    text = authority_texts_for_staff(user).filter(pk=pk).first()
    if text is None:
        raise NotFound("Nicht gefunden.", code="not_found")
    return text


def text_field(service: Service, authority: Authority | None, field_name: str) -> str:
    """The published text of one field: the Land's, or the authority's own ("" if none)."""
    if field_name not in OVERRIDABLE_FIELDS:
        raise NotFound("Unbekanntes Textfeld.", code="unknown_field")
    if authority is None:
        return str(getattr(service, field_name))
    own = AuthorityServiceText.objects.filter(service=service, authority=authority).first()
    return str(getattr(own, field_name)) if own is not None else ""


def search_index_version_sql() -> str:
    """SQL for the search index's version, for a caller that reads several such tokens in one
    round trip (the finder's cache token): a write to the catalogue changes it."""
    return f"SELECT MAX(version) FROM {SearchIndexState._meta.db_table}"  # noqa: S608
