"""The "Wer ist zuständig?" page of a service: PLZ or place, candidates when ambiguous,
then the authority with address, opening hours, contact and the reason. No JavaScript."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from verbund.catalogue import queries as catalogue_queries
from verbund.core.errors import DomainError, InvalidInput, NotFound
from verbund.core.page_cache import public_page
from verbund.finder.extensions import online_offers
from verbund.finder.resolution import Answer, Place, resolve


@public_page
def responsibility(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        service = catalogue_queries.get_service(slug)
    except DomainError as exc:
        raise Http404(exc.message) from None
    plz = request.GET.get("plz", "").strip()
    ort = request.GET.get("ort", "").strip()
    ags = request.GET.get("ags", "").strip()
    answer: Answer | None = None
    error = ""
    status = 200
    error_field = "finder-ort" if ort and not plz else "finder-plz"
    if not (plz or ort or ags) and ("plz" in request.GET or "ort" in request.GET):
        # The form was sent empty: say what is missing instead of showing it again.
        error, status = _("Bitte geben Sie Ihre Postleitzahl oder Ihren Ort ein."), 422
    elif plz or ort or ags:
        try:
            place = Place(ags=ags or None, plz=None if ags else plz or None, ort=ort or None)
            place.validate()
            answer = resolve(service=service, place=place)
        except InvalidInput as exc:
            error, status = exc.message, 422
        except NotFound as exc:
            error, status = exc.message, 404
    return render(
        request,
        "finder/responsibility.html",
        {
            "service": service,
            "texts": catalogue_queries.texts_for(service, answer.authority if answer else None),
            "answer": answer,
            "offers": online_offers(
                service, answer.authority, answer.gemeinde.ags if answer.gemeinde else ""
            )
            if answer and answer.authority
            else [],
            "error": error,
            "error_field": error_field,
            "plz": plz,
            "ort": ort,
        },
        status=status,
    )
