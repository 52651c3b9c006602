"""Forms: the published version of a service's form, parsed once per process."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from verbund.applications.formschema import Form, parse_form
from verbund.applications.models import (
    FormDefinition,
    FormVersion,
)
from verbund.catalogue import queries as catalogue_queries
from verbund.catalogue.types import Service
from verbund.core.errors import NotFound
from verbund.core.memo import Memo

# Parsed forms by (version id, content hash): a version's schema never changes under the same
# hash, so each process parses it once and later requests need not even load the JSON column.
_FORMS: dict[tuple[int, str], Form] = {}

_FORMS_MAX = 256


def form_of(version: FormVersion) -> Form:
    """The typed form of a version (parsed once per process; versions are immutable)."""
    if version.pk is None:
        return parse_form(version.schema)
    key = (version.pk, version.content_hash)
    form = _FORMS.get(key)
    if form is None:
        if "schema" in version.get_deferred_fields():
            schema = FormVersion.objects.values_list("schema", flat=True).get(pk=version.pk)
        else:
            schema = version.schema
        form = parse_form(schema)
        if len(_FORMS) >= _FORMS_MAX:
            _FORMS.clear()
        _FORMS[key] = form
    return form


_API_SERVICES: Memo[tuple[Service, FormVersion | None]] = Memo()


def api_service_and_version(identifier: str) -> tuple[Service, FormVersion | None]:
    """The service named in an API announcement and its published form version, in one
    query for the usual case (identifier = slug), with only the columns the API needs;
    kept per process (`core.memo`), since it is asked for every announcement."""
    return _API_SERVICES.get(identifier, lambda: _api_service_and_version(identifier))


def _api_service_and_version(identifier: str) -> tuple[Service, FormVersion | None]:
    version = (
        FormVersion.objects.select_related("definition__service")
        .only(
            "id",
            "number",
            "status",
            "content_hash",
            "definition__id",
            "definition__service__id",
            "definition__service__slug",
            "definition__service__level",
            "definition__service__wirkungskreis",
        )
        .filter(definition__service__slug=identifier, status=FormVersion.Status.PUBLISHED)
        .order_by()
        .first()
    )
    if version is not None and version.definition.service is not None:
        return version.definition.service, version
    service = get_service_by_identifier(identifier)
    return service, published_version(service)


def published_version(service: Service) -> FormVersion | None:
    return (
        FormVersion.objects.select_related("definition")
        .defer("schema")
        .filter(definition__service=service, status=FormVersion.Status.PUBLISHED)
        .first()
    )


def get_service(slug: str) -> Service:
    service = catalogue_queries.all_services().filter(slug=slug).first()
    if service is None:
        raise NotFound(_("Diese Leistung gibt es nicht."), code="unknown_service")
    return service


def get_service_by_identifier(identifier: str) -> Service:
    """A service by slug, by 14-digit Leistungsschlüssel, or by `urn:de:fim:leika:leistung:…`."""
    key = identifier.removeprefix("urn:de:fim:leika:leistung:")
    condition = Q(slug=identifier)
    if key.isdigit():
        condition |= Q(leika_key=key)
    service = (
        catalogue_queries.all_services().filter(condition).order_by("-is_curated", "pk").first()
    )
    if service is None:
        raise NotFound(_("Diese Leistung gibt es nicht."), code="unknown_service")
    return service


def services_with_forms(query: str = "") -> QuerySet[Service]:
    services = (
        catalogue_queries.all_services()
        .filter(form_definition__versions__status=FormVersion.Status.PUBLISHED)
        .distinct()
    )
    for word in query.split():
        services = services.filter(Q(name__icontains=word) | Q(slug__icontains=word))
    return services.order_by("name")


def form_definitions() -> QuerySet[FormDefinition]:
    return FormDefinition.objects.select_related("service").prefetch_related("versions")
