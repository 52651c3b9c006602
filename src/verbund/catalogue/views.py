"""Public pages of the catalogue: start page, search results, service and life situations."""

from __future__ import annotations

from itertools import groupby

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from verbund.catalogue import queries
from verbund.catalogue.extensions import service_actions
from verbund.catalogue.models import Level, Service, Wirkungskreis
from verbund.core.errors import DomainError
from verbund.core.page_cache import public_page

RESULTS_PER_PAGE = 10


@public_page
def start(request: HttpRequest) -> HttpResponse:
    return render(request, "catalogue/start.html", {"lebenslagen": queries.featured_lebenslagen()})


@public_page
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    context: dict[str, object] = {"q": q}
    if len(q) > queries.QUERY_MAX:
        context["error"] = _("Bitte geben Sie höchstens %(max)d Zeichen ein.") % {
            "max": queries.QUERY_MAX
        }
    elif q:
        raw_page = request.GET.get("seite", "1")
        page_number = int(raw_page) if raw_page.isdigit() else 0
        try:
            page = queries.search_page(
                q, page_number, RESULTS_PER_PAGE, reader=translation.get_language() or ""
            )
        except DomainError as exc:
            context["error"] = exc.message
            context["q"] = q
            return render(request, "catalogue/search.html", context, status=400)
        context["page"] = page
        context["results"] = page.results
    else:
        curated = list(queries.curated_services())
        context["alphabet"] = [
            (letter, list(items))
            for letter, items in groupby(curated, key=lambda s: s.name[:1].upper())
        ]
        context["lebenslagen"] = queries.lebenslagen_with_services()
    return render(request, "catalogue/search.html", context)


@public_page
def service_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        service = queries.get_service(slug)
    except DomainError as exc:
        raise Http404(exc.message) from None
    return render(
        request,
        "catalogue/service.html",
        {
            "service": service,
            "texts": queries.texts_for(service, None),
            "responsibility": responsibility_note(service),
            "lebenslagen": queries.lebenslagen_of(service),
            "variants": queries.variants_of(service),
            "actions": service_actions(service),
        },
    )


@public_page
def lebenslagen(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "catalogue/lebenslagen.html",
        {"lebenslagen": queries.lebenslagen_with_services()},
    )


@public_page
def lebenslage_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        lebenslage = queries.get_lebenslage(slug)
    except DomainError as exc:
        raise Http404(exc.message) from None
    return render(
        request,
        "catalogue/lebenslage.html",
        {"lebenslage": lebenslage, "services": queries.services_in(lebenslage)},
    )


def responsibility_note(service: Service) -> str:
    """A plain sentence on which level of government handles the service."""
    if service.level == Level.GEMEINDE:
        if service.wirkungskreis == Wirkungskreis.EIGEN:
            return _(
                "Das ist eine eigene Aufgabe der Gemeinde (eigener Wirkungskreis). Zuständig "
                "ist Ihre Gemeinde; gehört sie zu einer Verwaltungsgemeinschaft, deren Verwaltung."
            )
        return _(
            "Die Gemeinde erledigt diese Aufgabe im Auftrag des Staates (übertragener "
            "Wirkungskreis). Zuständig ist Ihre Gemeinde, die Verwaltungsgemeinschaft oder die "
            "erfüllende Gemeinde."
        )
    if service.level == Level.KREIS:
        return _("Zuständig ist der Landkreis; in einer kreisfreien Stadt die Stadt selbst.")
    if service.level == Level.LAND:
        return _("Zuständig ist eine Behörde des Freistaats Thüringen.")
    if service.level == Level.BUND:
        return _("Zuständig ist eine Behörde des Bundes.")
    return ""
