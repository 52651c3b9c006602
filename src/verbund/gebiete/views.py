"""Public pages of the territorial directory: Land, Kreis, Gemeinde."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from verbund.core.errors import DomainError
from verbund.gebiete import extensions, queries
from verbund.gebiete.models import Gebiet, Level
from verbund.gebiete.shapes import svg_shape


def land_overview(request: HttpRequest) -> HttpResponse:
    try:
        land = queries.get_land(settings.VERBUND_LAND)
    except DomainError as exc:
        raise Http404(exc.message) from None
    kreise = (
        queries.kreise_of(land)
        .annotate(
            gemeinden=Count(
                "kreis_members",
                filter=Q(
                    kreis_members__level=Level.GEMEINDE, kreis_members__valid_until__isnull=True
                ),
            ),
            einwohner=Sum(
                "kreis_members__population",
                filter=Q(
                    kreis_members__level=Level.GEMEINDE, kreis_members__valid_until__isnull=True
                ),
            ),
        )
        .order_by("type", "name")
    )
    return render(
        request,
        "gebiete/land.html",
        {
            "land": land,
            "kreise": kreise,
            "counts": queries.count_current(land),
            "population": sum(k.einwohner or 0 for k in kreise),
            "shape": svg_shape(land.geometry),
        },
    )


def kreis_page(request: HttpRequest, key: str) -> HttpResponse:
    try:
        kreis = queries.get_kreis(key)
    except DomainError as exc:
        raise Http404(exc.message) from None
    gemeinden = list(queries.gemeinden_of_kreis(kreis))
    groups: dict[Gebiet | None, list[Gebiet]] = {}
    for gemeinde in gemeinden:
        groups.setdefault(gemeinde.verband, []).append(gemeinde)
    verbaende = sorted((v for v in groups if v is not None), key=lambda v: v.name)
    return render(
        request,
        "gebiete/kreis.html",
        {
            "kreis": kreis,
            "administration": extensions.administration_of(kreis),
            "verbaende": [(v, groups[v]) for v in verbaende],
            "verbandsfrei": groups.get(None, []),
            "population": sum(g.population or 0 for g in gemeinden),
            "gemeinden_count": len(gemeinden),
            "shape": svg_shape(kreis.geometry),
        },
    )


def gemeinde_page(request: HttpRequest, ags: str) -> HttpResponse:
    try:
        gemeinde = queries.get_gemeinde(ags)
    except DomainError as exc:
        raise Http404(exc.message) from None
    current = gemeinde.current_successor()
    return render(
        request,
        "gebiete/gemeinde.html",
        {
            "gemeinde": gemeinde,
            "successor": current if current.pk != gemeinde.pk else None,
            "plz": queries.plz_of(gemeinde),
            "orte": sorted({p.ort for p in gemeinde.postleitzahlen.all() if p.ort}),
            "authorities": extensions.authorities_serving(current),
            "shape": svg_shape(gemeinde.geometry),
            "changes": gemeinde.changes.all()[:10],
        },
    )
